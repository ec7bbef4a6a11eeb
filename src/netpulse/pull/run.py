"""A pull: for each network and API asked for, every stream from its cursor into the landing zone.

Each (network, API) is a *target*: its own credentials, client, per-run bound and lock, and its
own outcome, so a failing API of one network never stops another (in the DAG each target is its
own mapped task; on the command line they run one after the other). Within a target, a stream
that fails (a channel the app is not in) does not stop the other streams.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from types import ModuleType

from netpulse.config.networks import load_networks
from netpulse.config.pulling import APIS, PullSpec
from netpulse.config.settings import Settings
from netpulse.errors import PullFailed, UnknownNetwork
from netpulse.pull import discourse, graph, qualtrics, slack, zoom
from netpulse.pull.context import PullContext, utc_now
from netpulse.pull.credentials import credentials
from netpulse.pull.cursors import CursorStore, PullBusy
from netpulse.pull.http import Budget, BudgetSpent
from netpulse.pull.landing import Lander

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Puller:
    module: ModuleType
    pull_stream: Callable[[PullContext, str], None]


PULLERS = {
    "discourse": Puller(discourse, discourse.pull_stream),
    "slack": Puller(slack, slack.pull_stream),
    "zoom": Puller(zoom, zoom.pull_stream),
    "teams": Puller(graph, graph.pull_teams_stream),
    "qualtrics": Puller(qualtrics, qualtrics.pull_stream),
    "msforms": Puller(graph, graph.pull_workbook_stream),
}
assert set(PULLERS) == set(APIS)


@dataclass
class PullOutcome:
    network_id: str
    api: str
    status: str  # landed | nothing new | stopped at the bound | failed | busy
    files: list[str] = field(default_factory=list)
    unchanged: int = 0
    requests: int = 0
    seconds: float = 0.0
    streams: int = 0
    errors: list[str] = field(default_factory=list)
    permanent: bool = False  # a failure retrying cannot mend (a refused key, a missing scope)

    @property
    def target(self) -> str:
        return f"{self.network_id}/{self.api}"

    def summary(self) -> str:
        text = (f"{self.target}: {self.status}, {len(self.files)} file(s) landed, {self.unchanged} unchanged, "
                f"{self.requests} request(s) in {self.seconds:.1f} s")
        return text + "".join(f"\n  - {error}" for error in self.errors)

    def as_dict(self) -> dict:
        return asdict(self)


def plan(settings: Settings, network_ids: tuple[str, ...] | None = None,
         apis: tuple[str, ...] | None = None) -> list[PullSpec]:
    """The targets configured for these networks and APIs (all when None), in a stable order."""
    networks = load_networks(settings.network_config)
    if network_ids:
        unknown = sorted(set(network_ids) - networks.keys())
        if unknown:
            raise UnknownNetwork(f"unknown network {', '.join(unknown)}: not in the network configuration "
                                 f"({settings.network_config})")
    unknown_apis = sorted(set(apis or ()) - set(APIS))
    if unknown_apis:
        raise PullFailed(f"unknown API {', '.join(unknown_apis)}; known: {', '.join(APIS)}")
    return [spec for network_id, network in sorted(networks.items())
            if not network_ids or network_id in network_ids
            for spec in network.pulls if not apis or spec.api in apis]


def find_target(settings: Settings, network_id: str, api: str) -> PullSpec:
    specs = plan(settings, (network_id,), (api,))
    if not specs:
        raise PullFailed(f"network {network_id} has no pull of {api} in {settings.network_config}")
    return specs[0]


def pull_target(settings: Settings, spec: PullSpec, now: Callable[[], datetime] = utc_now) -> PullOutcome:
    """Pull every stream of one target; never raises for the API's failures (they are the outcome)."""
    started = time.monotonic()
    outcome = PullOutcome(spec.network_id, spec.api, "nothing new")
    budget = Budget(spec.max_pages, spec.max_seconds)
    lander = Lander(settings.landing, spec)
    cursors = CursorStore(settings.pull_state_dir)
    client = None
    try:
        with cursors.lock(spec.network_id, spec.api):
            client = PULLERS[spec.api].module.connect(spec, credentials(spec.connection), budget)
            context = PullContext(spec, client, lander, cursors, settings.limits, now)
            for stream in spec.streams:
                try:
                    PULLERS[spec.api].pull_stream(context, stream)
                    outcome.streams += 1
                except PullFailed as failure:
                    outcome.errors.append(f"{stream}: {failure}")
                    outcome.permanent = outcome.permanent or failure.permanent
                    log.warning("pull %s, stream %s: %s", spec.target, stream, failure)
    except BudgetSpent as reason:
        outcome.status = "stopped at the bound"
        outcome.errors.append(f"{reason}; the next run goes on from the cursor")
    except PullBusy as busy:
        outcome.status = "busy"
        outcome.errors.append(str(busy))
    except PullFailed as failure:
        outcome.errors.append(str(failure))
        outcome.permanent = failure.permanent
    finally:
        if client is not None:
            client.close()
    if outcome.status == "nothing new":  # neither stopped at the bound nor busy
        if outcome.errors:
            outcome.status = "failed"  # what landed before the failure stays landed (and listed)
        elif lander.landed:
            outcome.status = "landed"
    outcome.files = list(lander.landed)
    outcome.unchanged = lander.unchanged
    outcome.requests = budget.requests_made
    outcome.seconds = round(time.monotonic() - started, 2)
    log.info("%s", outcome.summary())
    return outcome


def pull(settings: Settings, network_ids: tuple[str, ...] | None = None,
         apis: tuple[str, ...] | None = None) -> list[PullOutcome]:
    return [pull_target(settings, spec) for spec in plan(settings, network_ids, apis)]
