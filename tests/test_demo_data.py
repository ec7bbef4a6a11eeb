"""Tests for the synthetic demo landing zone (netpulse.demo.data)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from netpulse.demo.data import COLUMNS, DEMO_END, write_demo_landing

NETWORKS = ("resp-clinical", "frailty-learning", "digital-inclusion", "carers-voice")
LONDON = ZoneInfo("Europe/London")
BROKEN = "digital-inclusion/attendance/2026-Q3-broken-export.csv"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo run shared by the read-only tests (it takes about a second)."""
    root = tmp_path_factory.mktemp("demo")
    summary = write_demo_landing(root / "landing", root / "networks.yaml")
    return root / "landing", root / "networks.yaml", summary


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _rows(landing: Path, network: str, source: str) -> list[dict]:
    """All rows of a network's well-formed files for one source."""
    folder = landing / network / source
    if not folder.exists():
        return []
    return [row for path in sorted(folder.glob("*.csv")) if "broken" not in path.name
            for row in _read(path)]


def _local(text: str) -> datetime:
    """Parse an export timestamp to naive Europe/London time, whatever its format."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(LONDON).replace(tzinfo=None)
    return moment


def _key(email: str) -> str:
    return email.strip().lower()


def _months_between(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _run(root: Path, seed: int) -> dict:
    return write_demo_landing(root / "landing", root / "networks.yaml", seed=seed)


def test_same_seed_gives_identical_bytes(tmp_path):
    first = _run(tmp_path / "a", seed=11)
    second = _run(tmp_path / "b", seed=11)
    names_a = sorted(p.relative_to(tmp_path / "a").as_posix() for p in first["files"])
    names_b = sorted(p.relative_to(tmp_path / "b").as_posix() for p in second["files"])
    assert names_a == names_b
    for name in names_a + ["networks.yaml"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    # A different seed gives different data.
    _run(tmp_path / "c", seed=12)
    roster = "landing/resp-clinical/roster/roster.csv"
    assert (tmp_path / "c" / roster).read_bytes() != (tmp_path / "a" / roster).read_bytes()


def test_files_are_where_the_landing_zone_expects_them(demo):
    landing, _, summary = demo
    files = sorted(landing.rglob("*.csv"))
    assert sorted(summary["files"]) == files
    for path in files:
        network, source, _ = path.relative_to(landing).parts
        assert network in NETWORKS
        assert source in COLUMNS
    assert (landing / "resp-clinical" / "attendance" / "2025-Q3.csv").exists()
    assert not (landing / "carers-voice" / "forum").exists()
    assert not (landing / "carers-voice" / "survey").exists()


def test_every_file_has_exactly_the_required_header(demo):
    _landing, _, summary = demo
    malformed = set(summary["malformed_files"])
    for path in summary["files"]:
        if path in malformed:
            continue
        source = path.parent.name
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert tuple(header) == COLUMNS[source], path


def test_summary_counts_match_the_files_and_volume_is_demo_sized(demo):
    landing, _, summary = demo
    total = 0
    for network in NETWORKS:
        counts = {f"{source}_rows": len(_rows(landing, network, source)) for source in COLUMNS}
        assert summary[network] == counts
        total += sum(counts.values())
    assert 15_000 <= total <= 40_000


def test_yaml_configures_four_networks(demo):
    _, config, _ = demo
    entries = yaml.safe_load(config.read_text(encoding="utf-8"))["networks"]
    by_id = {entry["id"]: entry for entry in entries}
    assert list(by_id) == list(NETWORKS)
    for entry in entries:
        assert entry["timezone"] == "Europe/London"
        assert isinstance(entry["started_on"], date)
        assert entry["name"] and entry["type"] and entry["programme"]
    assert by_id["frailty-learning"]["quarter_start_month"] == 1
    for network in ("resp-clinical", "digital-inclusion", "carers-voice"):
        assert by_id[network]["quarter_start_month"] == 4
    assert by_id["resp-clinical"]["started_on"] == date(2024, 1, 1)
    assert by_id["digital-inclusion"]["started_on"] == date(2025, 11, 1)


def test_attendance_rows_follow_the_rules(demo):
    landing, _, _ = demo
    for network in NETWORKS:
        rows = _rows(landing, network, "attendance")
        assert rows, network
        hosts, segments, statuses = defaultdict(set), Counter(), Counter()
        meetings = {}
        for row in rows:
            assert row["role"] in {"host", "cohost", "attendee", ""}
            assert row["status"] in {"attended", "registered", "walk-in", ""}
            start, end = _local(row["meeting_start"]), _local(row["meeting_end"])
            assert start < end
            assert row["meeting_id"].endswith(start.date().isoformat())
            # Every row of a meeting repeats the same meeting details.
            details = (row["meeting_title"], row["meeting_start"], row["meeting_end"])
            assert meetings.setdefault(row["meeting_id"], details) == details
            statuses[row["status"]] += 1
            if row["status"] == "registered":
                assert row["joined_at"] == row["left_at"] == ""
                continue
            joined, left = _local(row["joined_at"]), _local(row["left_at"])
            assert left >= joined
            assert start.date() == joined.date() == left.date()
            assert start - (end - start) / 2 <= joined and left <= end + (end - start) / 2
            if row["role"] == "host":
                hosts[row["meeting_id"]].add(_key(row["email"]))
            segments[(row["meeting_id"], _key(row["email"]))] += 1
        # One host per meeting (who may, like anyone, drop out and rejoin).
        assert all(len(hosts[meeting]) == 1 for meeting in meetings), network
        if network == "resp-clinical":
            assert statuses["registered"] and statuses["walk-in"] and statuses[""]
            rejoined = sum(1 for n in segments.values() if n == 2)
            assert 0.01 < rejoined / len(segments) < 0.12
            assert max(segments.values()) == 2


def test_established_hosts_rotate_among_a_few_core_members(demo):
    landing, _, _ = demo
    rows = _rows(landing, "resp-clinical", "attendance")
    hosts = {_key(r["email"]) for r in rows if r["role"] == "host"}
    # Three leads, possibly seen under an alias address too.
    assert 2 <= len(hosts) <= 6


def test_some_meetings_fall_near_the_clock_changes(demo):
    landing, _, _ = demo
    rows = _rows(landing, "resp-clinical", "attendance")
    days = {_local(r["meeting_start"]).date() for r in rows}
    near = [d for d in days if (d.month, d.day >= 20) in {(3, True), (10, True)}]
    assert len(near) >= 4


def test_forum_threads_are_consistent(demo):
    landing, _, _ = demo
    for network in ("resp-clinical", "frailty-learning", "digital-inclusion"):
        rows = _rows(landing, network, "forum")
        assert rows, network
        posts = {}
        for row in rows:
            assert row["kind"] in {"topic", "reply", "reaction"}
            assert row["post_id"] not in posts, "post_id must be unique within a network"
            created = _local(row["created_at"])
            if row["kind"] == "topic":
                assert row["topic_id"] == row["post_id"]
                assert row["reply_to_post_id"] == ""
            else:
                parent = posts.get(row["reply_to_post_id"])
                assert parent is not None, "replies name an earlier post"
                assert parent["kind"] in {"topic", "reply"}
                assert parent["topic_id"] == row["topic_id"]
                assert _local(parent["created_at"]) < created
            posts[row["post_id"]] = row
        kinds = Counter(row["kind"] for row in rows)
        assert kinds["topic"] and kinds["reply"] and kinds["reaction"]
    resp = _rows(landing, "resp-clinical", "forum")
    assert any(r["created_at"].endswith("Z") for r in resp)
    assert sum(not r["created_at"].endswith("Z") for r in resp) > len(resp) / 2


def test_survey_rows_follow_the_rules(demo):
    landing, _, _ = demo
    assert len(list((landing / "resp-clinical" / "survey").glob("*.csv"))) == 5
    assert len(list((landing / "digital-inclusion" / "survey").glob("*.csv"))) == 1
    rows = [r for n in NETWORKS for r in _rows(landing, n, "survey")]
    assert len({r["response_id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["instrument"] == "netpulse-core-v1"
        assert row["finished"] in {"true", "false"}
        datetime.fromisoformat(row["submitted_at"])
        answers = [row[f"q{i}"] for i in range(1, 7)]
        assert all(a == "" or a in {"1", "2", "3", "4", "5"} for a in answers)
        if row["finished"] == "false":
            assert answers.count("") >= 2
    unfinished = sum(r["finished"] == "false" for r in rows) / len(rows)
    assert 0.03 < unfinished < 0.2


def test_roster_rows_follow_the_rules(demo):
    landing, _, _ = demo
    sizes = {}
    for network in NETWORKS:
        rows = _rows(landing, network, "roster")
        sizes[network] = len(rows)
        assert len({r["email"] for r in rows}) == len(rows)
        for row in rows:
            assert row["patient_or_carer"] in {"true", "false"}
            joined = date.fromisoformat(row["joined_on"])
            assert joined <= DEMO_END
            if row["left_on"]:
                assert date.fromisoformat(row["left_on"]) > joined
            assert row["sector"] in {"acute", "primary care", "community", "mental health",
                                     "social care", "voluntary", "patient/carer"}
    assert 80 <= sizes["resp-clinical"] <= 120
    assert sizes["carers-voice"] <= 8
    carers = _rows(landing, "carers-voice", "roster")
    assert sum(r["patient_or_carer"] == "true" for r in carers) >= 2


def test_only_fake_email_domains_are_used(demo):
    _landing, _, summary = demo
    for path in summary["files"]:
        for row in _read(path):
            addresses = [row["email"]] if "email" in row else []
            addresses += [a for a in row.get("other_emails", "").split(";") if a]
            for address in addresses:
                domain = _key(address).split("@")[1]
                assert domain.endswith((".example", "example.org")), address


def test_some_members_use_an_alias_address(demo):
    landing, _, _ = demo
    used = 0
    messy = 0
    for network in NETWORKS:
        aliases = {_key(a) for r in _rows(landing, network, "roster")
                   for a in r["other_emails"].split(";") if a}
        assert aliases, network
        activity = _rows(landing, network, "attendance") + _rows(landing, network, "forum")
        used += sum(_key(r["email"]) in aliases for r in activity)
        messy += sum(r["email"] != _key(r["email"]) for r in activity)
    assert used > 0
    assert messy > 0


def _active_months(landing: Path, network: str) -> Counter:
    months = Counter()
    for row in _rows(landing, network, "attendance"):
        months[row["meeting_start"][:7]] += 1
    for row in _rows(landing, network, "forum"):
        months[_local(row["created_at"]).strftime("%Y-%m")] += 1
    for row in _rows(landing, network, "survey"):
        months[row["submitted_at"][:7]] += 1
    return months


def test_established_network_is_active_every_month(demo):
    landing, _, _ = demo
    months = _active_months(landing, "resp-clinical")
    for month in _months_between(date(2024, 1, 1), DEMO_END):
        assert months[month] > 0, month
    attendance = _rows(landing, "resp-clinical", "attendance")
    turnout = Counter(r["meeting_id"] for r in attendance if r["status"] != "registered")
    assert len(turnout) == len(_months_between(date(2024, 1, 1), DEMO_END))
    assert all(20 <= n <= 70 for n in turnout.values())


def test_dormant_network_goes_quiet(demo):
    landing, _, _ = demo
    months = _active_months(landing, "frailty-learning")
    for month in ("2026-07", "2026-08", "2026-09"):
        assert months[month] == 0, month
    for month in _months_between(date(2024, 1, 1), date(2025, 11, 1)):
        assert months[month] > 20, month
    # The last gathering: one small meeting in April 2026.
    late = Counter(r["meeting_id"] for r in _rows(landing, "frailty-learning", "attendance")
                   if r["meeting_start"] >= "2026-02")
    assert len(late) == 1 and next(iter(late)).startswith("frail-2026-04")
    assert 3 <= len({_key(r["email"]) for r in _rows(landing, "frailty-learning", "attendance")
                     if r["meeting_start"].startswith("2026-04")}) <= 4


def test_emerging_and_pre_emergent_networks_start_late(demo):
    landing, _, _ = demo
    assert min(_active_months(landing, "digital-inclusion")) == "2025-11"
    assert min(_active_months(landing, "carers-voice")) == "2026-05"
    people = defaultdict(set)
    for row in _rows(landing, "digital-inclusion", "attendance"):
        people[row["meeting_start"][:7]].add(_key(row["email"]))
    assert len(people["2025-11"]) < len(people["2026-09"])


def test_malformed_export_lacks_left_at(demo):
    landing, _, summary = demo
    broken = landing / BROKEN
    assert summary["malformed_files"] == [broken]
    assert broken in summary["files"]
    with broken.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    assert "left_at" not in header
    assert header == [c for c in COLUMNS["attendance"] if c != "left_at"]
    assert rows and all(len(row) == len(header) for row in rows)


def test_end_date_too_early_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_demo_landing(tmp_path / "landing", tmp_path / "networks.yaml", end=date(2024, 6, 30))
