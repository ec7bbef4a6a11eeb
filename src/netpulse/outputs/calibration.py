"""`netpulse calibrate`: each network's stage over time under every stage-rules version, side by side.

A data team judging a threshold change needs to see, before adopting it, which periods of which
networks it would move, and on what values. This reads the periods exactly as the build's stage
classifier reads them (``staging.int_network_periods_classifiable``), classifies them with every
version in the rules folder (and a candidate file not adopted yet, if given), and prints per
network one line per period: the value of every metric any version's rules look at, then the stage
each version gives. A stage held up by hysteresis is marked ``^``; a period where a version
disagrees with the one before it in the table is marked ``*``.

With ``--landing`` the landing zone is loaded and built into a temporary warehouse first, so a
landing zone can be calibrated without touching the configured warehouse.
"""

from __future__ import annotations

import dataclasses
import itertools
import secrets
import tempfile
from pathlib import Path

import pandas as pd

from netpulse.config.settings import Settings
from netpulse.errors import ConfigError, NetpulseError
from netpulse.measures.stages import (
    FIXED_METRICS,
    StageRules,
    add_signals,
    classify_versions,
    current_rules,
    is_undefined,
    load_rule_sets,
    load_stage_rules,
)
from netpulse.store.warehouse import open_warehouse

CLASSIFIABLE = "staging.int_network_periods_classifiable"
# Short column headings for the metrics the shipped rules read; any other metric keeps its name.
HEADINGS = {
    "months_since_first_activity": "months",
    "active_periods_in_window": "active_in_win",
    "active_members": "active",
    "retained_members": "retained",
    "periods_with_meetings_in_window": "meet_in_win",
    "functions_served": "functions",
    "structural_phase": "structure",
    "kf_relationships": "kf_rel",
    "kf_adaptive_leadership": "kf_lead",
    "share_of_trailing_peak": "of_peak",
}


def rule_sets_with(candidate: Path | None) -> list[StageRules]:
    """Every adopted version, plus a candidate rules file (not yet adopted) when one is given.

    Stages set by hand are left out: calibration judges what the rules themselves give.
    """
    rule_sets = [dataclasses.replace(rules, overrides=()) for rules in load_rule_sets()]
    if candidate is None:
        return rule_sets
    proposed = load_stage_rules(candidate)
    same = next((r for r in rule_sets if r.version == proposed.version), None)
    if same is not None:
        if same == proposed:
            return rule_sets
        raise ConfigError(f"candidate rules {candidate}: version {proposed.version!r} is already adopted with "
                          "different rules; give the candidate the next version")
    return [*rule_sets, proposed]


def metrics_read(rule_sets: list[StageRules]) -> list[str]:
    """The metrics any version's conditions read, in the order they first appear."""
    seen: list[str] = []
    for rules in rule_sets:
        for rule in rules.rules:
            for condition in rule.conditions:
                if condition.metric not in seen and condition.metric not in FIXED_METRICS:
                    seen.append(condition.metric)
    return seen


def read_periods(settings: Settings, *, grain: str, network: str | None) -> pd.DataFrame:
    """The periods the stage classifier reads, for every grain (the signals need the months too)."""
    with open_warehouse(settings, read_only=True) as con:
        exists = con.execute("select count(*) from information_schema.tables where table_schema = 'staging' "
                             "and table_name = 'int_network_periods_classifiable'").fetchone()[0]
        if not exists:
            raise NetpulseError(f"{settings.warehouse} has no built periods yet: run `netpulse run` first, "
                                "or give --landing")
        periods = con.execute(f"select * from {CLASSIFIABLE} where ? is null or network_id = ? "
                              "order by network_id, grain, period_start", [network, network]).df()
    if periods.empty:
        raise NetpulseError(f"no periods for network {network!r}" if network else "no periods built")
    if grain not in set(periods["grain"]):
        raise NetpulseError(f"no {grain} periods built")
    return periods


def calibration_table(periods: pd.DataFrame, rule_sets: list[StageRules], grain: str) -> pd.DataFrame:
    """One row per network x period of ``grain``: the metrics the rules read and each version's stage."""
    staged = classify_versions(periods, rule_sets, current_version=rule_sets[-1].version)
    staged = staged[staged["grain"] == grain]
    keys = ["network_id", "period_start"]
    metrics = metrics_read(rule_sets)
    with_signals = add_signals(periods, rule_sets[-1])
    table = with_signals[with_signals["grain"] == grain][keys + [m for m in metrics if m in with_signals]]
    for rules in rule_sets:
        version = staged[staged["stage_rules_version"] == rules.version]
        shown = version["stage"].where(version["stage"] == version["evidence_stage"], version["stage"] + "^")
        table = table.merge(version[keys].assign(**{rules.version: shown.to_numpy()}), on=keys, how="left")
    return table.reset_index(drop=True)


def _cell(metric: str, value) -> str:
    if is_undefined(value):
        return "-"
    if metric == "share_of_trailing_peak":
        return f"{value:.0%}"
    if isinstance(value, float):
        return str(int(round(value)))
    return str(value)


def format_calibration(table: pd.DataFrame, rule_sets: list[StageRules], grain: str, current: str) -> str:
    """The table as text, one block per network, with the periods whose stage differs counted."""
    versions = [rules.version for rules in rule_sets]
    metrics = [c for c in table.columns if c not in ("network_id", "period_start", *versions)]
    headings = ["period", *[HEADINGS.get(m, m) for m in metrics],
                *[v + (" (current)" if v == current else "") for v in versions]]
    lines = [f"stage over time by rules version ({grain}s); ^ held up by hysteresis, * differs from the "
             "version to its left",
             "metrics: " + ", ".join(f"{HEADINGS.get(m, m)} = {m}" for m in metrics)]
    for network_id, block in table.groupby("network_id", sort=True):
        rows = []
        for record in block.to_dict("records"):
            cells = [f"{record['period_start']:%Y-%m-%d}", *[_cell(m, record[m]) for m in metrics]]
            previous = None
            for version in versions:
                stage = record[version]
                changed = previous is not None and stage.rstrip("^") != previous.rstrip("^")
                cells.append(stage + (" *" if changed else ""))
                previous = stage
            rows.append(cells)
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headings)]
        lines += ["", f"network {network_id}",
                  "  " + "  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip()]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        for earlier, later in itertools.pairwise(versions):
            differ = (block[earlier].str.rstrip("^") != block[later].str.rstrip("^")).sum()
            lines.append(f"  {later} vs {earlier}: {differ} of {len(block)} {grain}s differ")
    return "\n".join(lines)


def calibrate(settings: Settings, *, grain: str = "quarter", network: str | None = None,
              candidate: Path | None = None, landing: Path | None = None) -> str:
    """The calibration text for the configured warehouse, or for a landing zone built apart."""
    rule_sets = rule_sets_with(candidate)
    current = current_rules(load_rule_sets()).version
    if landing is None:
        periods = read_periods(settings, grain=grain, network=network)
    else:
        periods = _periods_of_landing(settings, landing, grain=grain, network=network)
    table = calibration_table(periods, rule_sets, grain)
    return format_calibration(table, rule_sets, grain, current)


def _periods_of_landing(settings: Settings, landing: Path, *, grain: str, network: str | None) -> pd.DataFrame:
    """Load and build ``landing`` into a temporary warehouse and read its periods.

    The member keys of a temporary warehouse are never kept, so without a configured key a
    random one is used.
    """
    from netpulse.build.run import build
    from netpulse.ingest.loading import ingest

    if not Path(landing).is_dir():
        raise NetpulseError(f"landing zone {landing} is not a directory")
    with tempfile.TemporaryDirectory(prefix="netpulse-calibrate-") as folder:
        root = Path(folder)
        apart = dataclasses.replace(
            settings, landing=Path(landing), warehouse=root / "calibrate.duckdb", home=root / "home",
            extracts=root / "extracts", data_docs=root / "data_docs",
            hash_key=settings.hash_key or secrets.token_hex(16))
        ingest(apart)
        build(apart)
        return read_periods(apart, grain=grain, network=network)
