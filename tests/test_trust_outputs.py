"""Every output safe to open (docs/security.md).

Kept Data Docs pages say which rule failed on which lines, never the values (an e-mail, a script)
and never the file's name; the run's deliveries page escapes what it shows and leaves the
reasons' quoted examples out; no CSV or XLSX cell netpulse writes is a formula; the pack's
manifest names deliveries by id and hash; the terminal gets no control characters.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from netpulse.build.run import build
from netpulse.ingest.loading import ingest
from netpulse.outputs.extract import write_quarter_extracts
from netpulse.outputs.pack.write import write_pack
from netpulse.safe_text import inert_frame
from tests.helpers import (
    ATTENDANCE_HEADER,
    attendance_row,
    make_settings,
    write_csv,
    write_networks,
)

PROGRAMME = "P"
MONTHS = ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs")
    config = write_networks(root / "networks.yaml",
                            {"id": "alpha", "name": "=cmd|' /C calc'!A0", "programme": PROGRAMME},
                            {"id": "beta", "name": "@SUM(1+1)", "programme": PROGRAMME})
    settings = make_settings(root, network_config=config)
    for network in ("alpha", "beta"):
        write_csv(settings.landing, network, "attendance", "a.csv", ATTENDANCE_HEADER, [
            attendance_row(f"{network}-{month}", f"{month}-10T10:00:00", f"m{m}@{network}.example")
            for month in MONTHS for m in range(12)])
    write_csv(settings.landing, "alpha", "attendance", f"jane-doe-{SCRIPT}.csv", ATTENDANCE_HEADER, [
        attendance_row("x1", "2026-05-10T10:00:00", "victim.one@nhs.example"),
        attendance_row("x2", SCRIPT, "victim.two@nhs.example"),
        attendance_row("x3", "2026-05-10T10:00:00", "not-an-address")])
    report = ingest(settings)
    build(settings)
    return settings, report


def _pages(folder):
    return {p: p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*.html")}


def test_data_docs_show_rules_and_lines_but_no_value_or_file_name(loaded):
    settings, report = loaded
    assert any(o.status == "quarantined" for o in report.outcomes)
    gx_pages = {p: text for p, text in _pages(settings.data_docs).items() if p.name != "deliveries.html"}
    assert gx_pages
    everything = "\n".join(gx_pages.values())
    for value in ("victim", "not-an-address", "alert(", "jane-doe"):
        assert value not in everything, value
    assert re.search(r"line 3", everything)  # where the rule failed
    assert "sha256" in everything  # the delivery, named by id and hash


def test_the_run_page_escapes_what_it_shows_and_quotes_no_value(loaded):
    settings, _ = loaded
    (page,) = [text for p, text in _pages(settings.data_docs).items() if p.name == "deliveries.html"]
    assert "<script>" not in page and "&lt;script&gt;" in page  # the file's name, escaped
    assert "quarantined" in page and "line 3" in page
    assert "victim" not in page and "not-an-address" not in page
    assert "), e.g. " not in page  # the reasons without the values they quote


def test_no_csv_or_xlsx_cell_is_a_formula(loaded, tmp_path):
    settings, _ = loaded
    extracts = write_quarter_extracts(settings, as_of=date(2026, 10, 15))
    pack = write_pack(settings, quarter="2026Q3", programme=PROGRAMME, out=tmp_path)
    cells = []
    for path in [*extracts, *pack.folder.rglob("*.csv")]:
        with path.open(newline="", encoding="utf-8") as handle:
            cells += [cell for row in csv.reader(handle) for cell in row]
    book = load_workbook(pack.folder / "workbook.xlsx")
    formulas = [c.value for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    texts = [c.value for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert formulas == []
    assert [c for c in [*cells, *texts] if re.match(r"[=@+\t\r]|-[^0-9.]", c)] == []
    assert "'=cmd|' /C calc'!A0" in texts and "'@SUM(1+1)" in cells


def test_inert_frame_keeps_numbers_and_quotes_text_of_every_dtype():
    import pandas as pd

    frame = pd.DataFrame({"n": [-3, 4], "t": ["-x", "ok"], "c": pd.Categorical(["=1+1", "b"]),
                          "s": pd.array(["+44", None], dtype="string")})
    out = inert_frame(frame)
    assert list(out["n"]) == [-3, 4]
    assert list(out["t"]) == ["'-x", "ok"] and list(out["c"]) == ["'=1+1", "b"]
    assert out["s"][0] == "'+44" and pd.isna(out["s"][1])


def test_the_manifest_names_deliveries_by_id_and_hash(loaded, tmp_path):
    settings, _ = loaded
    pack = write_pack(settings, quarter="2026Q3", programme=PROGRAMME, out=tmp_path)
    manifest = json.loads((pack.folder / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest)
    assert "a.csv" not in text and "jane-doe" not in text and str(settings.landing) not in text
    assert manifest["deliveries"] and all(set(d) == {"delivery_id", "network_id", "sha256", "size_bytes", "source"}
                                          for d in manifest["deliveries"])


def test_log_lines_and_the_terminal_get_no_control_characters(tmp_path, caplog):
    from netpulse.cli import _TerminalFormatter

    settings = make_settings(tmp_path)
    write_csv(settings.landing, "n", "attendance", "esc-\x1b[2J\x1b]0;owned\x07.csv", ATTENDANCE_HEADER,
              [attendance_row("m", "not a time", "a@x.example")])
    with caplog.at_level(logging.WARNING):
        ingest(settings)
    formatter = _TerminalFormatter("%(message)s")
    shown = [formatter.format(r) for r in caplog.records]
    assert any("quarantined" in line for line in shown)
    assert not any(re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line) for line in shown)


def test_a_file_name_cannot_forge_a_log_line(tmp_path, caplog):
    from netpulse.cli import _TerminalFormatter

    settings = make_settings(tmp_path)
    write_csv(settings.landing, "n", "attendance", "x\nnetpulse: INFO: all files loaded.csv", ATTENDANCE_HEADER,
              [attendance_row("m", "not a time", "a@x.example")])
    with caplog.at_level(logging.WARNING):
        ingest(settings)
    shown = [_TerminalFormatter("%(message)s").format(r) for r in caplog.records if "quarantined" in r.getMessage()]
    assert shown and all("\n" not in line for line in shown)
