"""Loading rules: all or nothing per delivery, quarantine with reasons, duplicates change nothing."""

from __future__ import annotations

import logging
import shutil

import pytest

from netpulse.errors import ConfigError, UnknownNetwork, WarehouseLocked
from netpulse.ingest import loading
from netpulse.ingest.loading import ingest
from netpulse.store.warehouse import connect
from tests.helpers import ATTENDANCE_HEADER, FORUM_HEADER, SURVEY_HEADER, attendance_row, query, write_csv

GOOD_ROWS = [
    attendance_row("m1", "2026-01-15T10:00:00", "a@x.example"),
    attendance_row("m1", "2026-01-15T10:00:00", "b@x.example"),
]


def deliveries(settings) -> list[tuple]:
    return query(settings, "select path, status, rows_loaded from meta.deliveries order by path")


def raw_rows(settings, table: str = "raw.attendance") -> int:
    return query(settings, f"select count(*) from {table}")[0][0]


def test_a_good_file_loads_with_its_manifest_row(settings):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    report = ingest(settings)
    assert [(o.status, o.rows) for o in report.outcomes] == [("loaded", 2)]
    assert deliveries(settings) == [("net/attendance/jan.csv", "loaded", 2)]
    assert raw_rows(settings) == 2


def test_running_again_changes_nothing(settings):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    ingest(settings)
    again = ingest(settings)
    assert again.outcomes == [] and not again.changed
    assert raw_rows(settings) == 2


def test_the_same_content_under_another_name_is_a_duplicate(settings):
    first = write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    ingest(settings)
    shutil.copy(first, first.with_name("jan-resent.csv"))
    report = ingest(settings)
    assert [o.status for o in report.outcomes] == ["duplicate"]
    assert "same content as delivery" in report.outcomes[0].error
    assert raw_rows(settings) == 2
    assert not report.changed


def test_a_bad_file_is_quarantined_with_line_numbers_and_the_good_one_still_loads(settings):
    write_csv(settings.landing, "net", "attendance", "good.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    bad = GOOD_ROWS + [attendance_row("m1", "2026-01-15T10:00:00", "c@x.example",
                                      "2026-01-15T10:30:00", "2026-01-15T10:10:00")]
    write_csv(settings.landing, "net", "attendance", "bad.csv", ATTENDANCE_HEADER, bad)
    report = ingest(settings)
    outcomes = {o.path: o for o in report.outcomes}
    assert outcomes["net/attendance/good.csv"].status == "loaded"
    quarantined = outcomes["net/attendance/bad.csv"]
    assert quarantined.status == "quarantined"
    assert "left_at is not before joined_at: 1 of 3 rows fail (line 4)" in quarantined.error
    assert raw_rows(settings) == 2  # only the good file's rows
    stored = query(settings, "select error from meta.deliveries where status = 'quarantined'")
    assert stored == [(quarantined.error,)]
    failed = query(settings, "select expectation, unexpected_lines from meta.validation_results "
                   "where not success")
    assert failed == [("expect_column_pair_values_a_to_be_greater_than_b", "4")]


def test_a_file_missing_a_required_column_is_rejected_by_name(settings):
    header = [c for c in ATTENDANCE_HEADER if c != "left_at"]
    write_csv(settings.landing, "net", "attendance", "old.csv", header, [["m1"] * len(header)])
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "quarantined"
    assert outcome.error.startswith("missing required column(s) left_at;")


@pytest.mark.parametrize("content, reason", [
    (b"", "the file is empty"),
    (b"post_id,topic_id\n\x81\x8d,x\n", "not text in UTF-8, UTF-16 or Windows-1252"),
    (b"post_id,topic_id,reply_to_post_id,email,name,created_at,kind\np1,,,a@x.example,A,2026-01", "looks truncated"),
])
def test_unreadable_files_are_quarantined_with_a_reason(settings, content, reason):
    path = settings.landing / "net" / "forum" / "bad.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "quarantined" and reason in outcome.error


def test_a_header_only_file_is_a_valid_delivery_of_no_rows(settings):
    write_csv(settings.landing, "net", "forum", "quiet.csv", FORUM_HEADER, [])
    (outcome,) = ingest(settings).outcomes
    assert (outcome.status, outcome.rows) == ("loaded", 0)


def test_a_failure_while_writing_leaves_nothing_half_loaded(settings, monkeypatch):
    write_csv(settings.landing, "net", "survey", "wave.csv", SURVEY_HEADER + ["q1"], [
        ["r1", "core", "2026-03-05T09:00:00", "a@x.example", "true", "4"],
    ])

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # The responses are inserted before the answers: failing on the answers proves the
    # responses and the manifest row are rolled back with them.
    monkeypatch.setattr(loading, "_insert_answers", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(settings)
    assert raw_rows(settings, "raw.survey_responses") == 0
    assert deliveries(settings) == []
    monkeypatch.undo()
    (outcome,) = ingest(settings).outcomes  # the file is still pending and now loads
    assert outcome.status == "loaded"
    assert raw_rows(settings, "raw.survey_answers") == 1


def test_a_network_without_configuration_is_registered_with_defaults_and_a_warning(settings, caplog):
    write_csv(settings.landing, "newnet", "attendance", "jan.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    with caplog.at_level(logging.WARNING):
        ingest(settings)
    assert "'newnet' has landing files but no configuration" in caplog.text
    assert query(settings, "select timezone, quarter_start_month, configured from meta.networks") == [
        ("Europe/London", 1, False)]


def test_asking_for_an_unknown_network_is_an_error(settings):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    with pytest.raises(UnknownNetwork, match="unknown network nope"):
        ingest(settings, network_ids=("nope",))


def test_a_different_hash_key_is_refused(settings):
    import dataclasses

    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    ingest(settings)
    with pytest.raises(ConfigError, match="not the key this warehouse was built with"):
        ingest(dataclasses.replace(settings, hash_key="another-key"))


def test_loading_without_a_hash_key_is_refused(settings):
    import dataclasses

    with pytest.raises(ConfigError, match="NETPULSE_HASH_KEY is not set"):
        ingest(dataclasses.replace(settings, hash_key=None))


def test_a_locked_warehouse_is_retried_then_reported(settings, tmp_path):
    import subprocess
    import sys
    import time

    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(settings.warehouse)!r}); "
         "print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        # The message names the holder by PID and command line, and a session that is not
        # netpulse's own is told to close, not blamed on a load or build.
        with pytest.raises(WarehouseLocked, match=rf"locked by process {holder.pid} \(python\S* -c import duckdb"
                           r".*close that session \(analysts read the snapshot"):
            connect(settings.warehouse, attempts=3, wait_seconds=0.1)
        assert time.monotonic() - started >= 0.3  # waited 0.1 + 0.2 s between the attempts
    finally:
        holder.kill()
        holder.wait()
    connect(settings.warehouse).close()  # free again once the other process is gone


def test_readers_get_a_clear_error_before_the_warehouse_exists(settings):
    with pytest.raises(ConfigError, match="does not exist yet"):
        connect(settings.warehouse, read_only=True)


def test_a_blank_forum_kind_is_quarantined_not_a_failed_run(settings):
    write_csv(settings.landing, "net", "forum", "a.csv", FORUM_HEADER,
              [["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", ""]])
    write_csv(settings.landing, "net", "forum", "b.csv", FORUM_HEADER,
              [["p2", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"]])
    outcomes = {o.path: o for o in ingest(settings).outcomes}
    assert outcomes["net/forum/a.csv"].status == "quarantined"
    assert "every row has a kind" in outcomes["net/forum/a.csv"].error
    assert outcomes["net/forum/b.csv"].status == "loaded"


def test_reasons_never_quote_email_addresses(settings):
    write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, [
        attendance_row("m1", "2026-01-15T10:00:00", "jane.doe.nhs.example"),
    ])
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "quarantined"
    assert "email looks like an e-mail address: 1 of 1 rows fail (line 2)" in outcome.error
    assert "jane.doe" not in outcome.error
    assert query(settings, "select count(*) from meta.validation_results "
                 "where unexpected_examples like '%jane%'") == [(0,)]


def test_a_survey_name_column_is_not_read_as_a_question(settings):
    write_csv(settings.landing, "net", "survey", "s.csv", SURVEY_HEADER + ["name", "q1"],
              [["r1", "core", "2026-03-05T09:00:00", "a@x.example", "true", "Ann", "4"]])
    (outcome,) = ingest(settings).outcomes
    assert outcome.status == "loaded"
    assert query(settings, "select item, answer from raw.survey_answers") == [("q1", 4)]


def test_a_file_changing_while_it_is_read_is_left_for_the_next_run(settings, monkeypatch):
    path = write_csv(settings.landing, "net", "attendance", "jan.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    hashed = loading.LandingFile.sha256

    def hash_then_append(self):
        digest = hashed(self)
        with self.path.open("a") as handle:  # the sender is still writing
            handle.write(",".join(attendance_row("m1", "2026-01-15T10:00:00", "c@x.example")) + "\n")
        return digest

    monkeypatch.setattr(loading.LandingFile, "sha256", hash_then_append)
    assert ingest(settings).outcomes == []
    assert deliveries(settings) == []
    monkeypatch.undo()
    (outcome,) = ingest(settings).outcomes
    assert (outcome.status, outcome.rows) == ("loaded", 3)
    assert path.exists()


def test_an_internal_error_on_one_file_quarantines_it_and_the_others_still_load(settings, monkeypatch):
    from netpulse.ingest import formats

    write_csv(settings.landing, "net", "attendance", "a-good.csv", ATTENDANCE_HEADER, GOOD_ROWS)
    write_csv(settings.landing, "net", "forum", "b-trigger.csv", FORUM_HEADER,
              [["p1", "", "", "a@x.example", "A", "2026-01-20T09:00:00", "topic"]])
    typed = formats.type_delivery

    def broken_for_forum(frame, fmt, *args, **kwargs):
        if fmt.source == "forum":
            raise KeyError("a parser bug")
        return typed(frame, fmt, *args, **kwargs)

    monkeypatch.setattr(loading, "type_delivery", broken_for_forum)
    outcomes = {o.path: o for o in ingest(settings).outcomes}
    assert outcomes["net/attendance/a-good.csv"].status == "loaded"
    forum = outcomes["net/forum/b-trigger.csv"]
    assert forum.status == "quarantined" and "internal error KeyError" in forum.error
    assert (settings.landing / "net" / "forum" / "b-trigger.csv").exists()
