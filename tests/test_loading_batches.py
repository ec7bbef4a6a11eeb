"""Many files in one run are read, validated and written together, with every rule of the
file-by-file loader: a failing rule quarantines exactly the files it concerns, by their own lines."""

from __future__ import annotations

from netpulse.ingest import loading
from netpulse.ingest.loading import ingest
from netpulse.quality.validation import validate_frame
from tests.helpers import ATTENDANCE_HEADER as HEADER
from tests.helpers import FORUM_HEADER, SURVEY_HEADER, attendance_row, query, write_csv


def post(post_id: str, email: str, kind: str = "topic", reply_to: str = "") -> list[str]:
    return [post_id, "", reply_to, email, "A", "2026-02-02T09:00:00", kind]


def test_many_files_of_many_networks_load_in_one_batch_each_with_its_own_rows(settings, monkeypatch):
    calls = []
    batch = loading.validate_parts
    monkeypatch.setattr(loading, "validate_parts", lambda suite, *args: calls.append(suite) or batch(suite, *args))
    for network in ("north", "south", "east"):
        for month in range(1, 5):
            write_csv(settings.landing, network, "attendance", f"2026-{month:02d}.csv", HEADER, [
                attendance_row(f"m{month}", f"2026-{month:02d}-10T10:00:00", f"{who}@{network}.example")
                for who in ("a", "b", "c")[:month % 3 + 1]])
    outcomes = ingest(settings).outcomes
    assert [o.status for o in outcomes] == ["loaded"] * 12
    assert calls == ["attendance"]  # one validation for the twelve files
    per_file = query(settings, "select d.path, count(r.line_number), min(r.line_number), max(r.line_number), "
                     "min(r.network_id) = d.network_id from meta.deliveries d join raw.attendance r using "
                     "(delivery_id) group by d.path, d.network_id order by d.path")
    assert len(per_file) == 12
    for path, rows, first, last, same_network in per_file:
        month = int(path.split("/")[-1][5:7])
        assert (rows, first, last, same_network) == (month % 3 + 1, 2, month % 3 + 2, True)


def test_a_value_repeated_across_files_is_not_a_duplicate_but_within_one_file_it_is(settings):
    write_csv(settings.landing, "net", "forum", "a.csv", FORUM_HEADER, [post("p1", "a@x.example")])
    write_csv(settings.landing, "net", "forum", "b.csv", FORUM_HEADER,
              [post("p1", "b@x.example"), post("p2", "b@x.example")])
    write_csv(settings.landing, "net", "forum", "c.csv", FORUM_HEADER,
              [post("p7", "c@x.example"), post("p8", "c@x.example"), post("p7", "d@x.example")])
    outcomes = {o.path.split("/")[-1]: o for o in ingest(settings).outcomes}
    assert outcomes["a.csv"].status == outcomes["b.csv"].status == "loaded"
    bad = outcomes["c.csv"]
    assert bad.status == "quarantined"
    assert "1 of 3 rows fail" not in bad.error  # both rows of the repeated id are reported
    assert "2 of 3 rows fail (lines 2, 4)" in bad.error and "'p7'" in bad.error
    failed = query(settings, "select expectation, column_name, unexpected_lines, element_count from "
                   "meta.validation_results where not success")
    assert failed == [("expect_column_values_to_be_unique", "post_id", "2, 4", 3)]


def test_failures_in_a_batch_give_the_same_reasons_as_one_file_alone(settings):
    rows = [["r1", "core", "2026-03-05T09:00:00", "a@x.example", "maybe"],
            ["r2", "", "2026-03-05", "not-an-address", "true"]]
    write_csv(settings.landing, "net", "survey", "a-good.csv", SURVEY_HEADER,
              [["r1", "core", "2026-03-05T09:00:00", "a@x.example", "true"]])
    bad = write_csv(settings.landing, "net", "survey", "b-bad.csv", SURVEY_HEADER, rows)
    outcomes = {o.path.split("/")[-1]: o for o in ingest(settings).outcomes}
    assert outcomes["a-good.csv"].status == "loaded"
    # The same file validated alone, as the loader did file by file before batches.
    from netpulse.config.sources import FORMATS
    from netpulse.ingest.formats import read_delivery, type_delivery
    from netpulse.ingest.identity import MemberHasher

    fmt = FORMATS["survey"]
    alone = validate_frame("survey", type_delivery(read_delivery(bad, fmt), fmt, "Europe/London",
                                                   MemberHasher("test-key")).frame)
    assert outcomes["b-bad.csv"].error == alone.failures_in_words()


def test_a_run_writes_one_page_of_every_delivery_and_gx_pages_only_for_failing_ones(settings):
    for month in range(1, 4):
        write_csv(settings.landing, "net", "attendance", f"good-{month}.csv", HEADER,
                  [attendance_row("m1", f"2026-0{month}-10T10:00:00", "a@x.example")])
    write_csv(settings.landing, "net", "attendance", "bad.csv", HEADER,
              [attendance_row("m1", "2026-01-10T10:00:00", "a@x.example", role="chair")])
    report = ingest(settings)
    pages = list(settings.data_docs.glob("*/deliveries.html"))
    assert len(pages) == 1
    page = pages[0].read_text(encoding="utf-8")
    for n in range(1, 4):
        assert f"net/attendance/good-{n}.csv" in page
    assert "net/attendance/bad.csv" in page and "quarantined" in page and "role" in page
    validations = list(settings.data_docs.rglob("validations/**/*.html"))
    (bad_id,) = query(settings, "select delivery_id from meta.deliveries where path like '%bad.csv'")[0]
    # GX pages only for the failing delivery, named by id and hash (a file name can name a person).
    assert [p.name.split(" · ")[0] for p in validations] == [f"delivery {bad_id}"]
    assert report.run_id.replace(":", "_") in (settings.data_docs / "index.html").read_text(encoding="utf-8") or \
        "deliveries" in (settings.data_docs / "index.html").read_text(encoding="utf-8")


def test_a_header_only_file_in_a_batch_is_validated_and_drift_names_the_earlier_delivery(settings):
    write_csv(settings.landing, "net", "attendance", "1-full.csv", HEADER,
              [attendance_row("m1", "2026-01-10T10:00:00", "a@x.example")])
    write_csv(settings.landing, "net", "attendance", "2-quiet.csv", HEADER, [])
    write_csv(settings.landing, "net", "attendance", "3-wider.csv", HEADER + ["notes"],
              [attendance_row("m2", "2026-02-10T10:00:00", "a@x.example") + ["fine"]])
    assert [o.status for o in ingest(settings).outcomes] == ["loaded"] * 3
    checked = dict(query(settings, "select d.path, count(v.suite) from meta.deliveries d left join "
                         "meta.validation_results v using (delivery_id) group by 1"))
    assert checked["net/attendance/2-quiet.csv"] == checked["net/attendance/1-full.csv"] > 0
    (drift,) = query(settings, "select schema_drift from meta.deliveries where path like '%3-wider.csv'")[0]
    (earlier,) = query(settings, "select delivery_id from meta.deliveries where path like '%2-quiet.csv'")[0]
    assert drift == f"the export's columns changed since delivery {earlier} (net/attendance/2-quiet.csv): added notes"
