"""The funder pack end to end on a real warehouse: files, byte-identical re-runs, no personal
data in any file, and the HTML and PDF looked at as a person would (headless Chromium, pdftoppm)."""

from __future__ import annotations

import html
import http.server
import json
import re
import shutil
import socketserver
import subprocess
import threading
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image

from netpulse.build.run import build
from netpulse.ingest.loading import ingest
from netpulse.outputs.pack.write import write_pack
from tests.helpers import ATTENDANCE_HEADER, attendance_row, query, write_csv, write_networks

PROGRAMME = "Test programme"
MONTHS = ["2025-10", "2025-11", "2026-01", "2026-02", "2026-04", "2026-05", "2026-07", "2026-08"]


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """Two networks of one programme over four quarters, one large and one too small to show."""
    from netpulse.config.settings import Settings
    from tests.helpers import make_settings

    root = tmp_path_factory.mktemp("pack")
    config = write_networks(root / "networks.yaml",
                            {"id": "big", "name": "Big Network", "programme": PROGRAMME},
                            {"id": "small", "name": "Small Network", "programme": PROGRAMME})
    settings: Settings = make_settings(root, network_config=config)
    rows = []
    for i, month in enumerate(MONTHS):
        for m in range(14 + 2 * i):  # growing
            rows.append(attendance_row(f"b{i}", f"{month}-10T10:00:00", f"member{m}@big.example"))
    write_csv(settings.landing, "big", "attendance", "a.csv", ATTENDANCE_HEADER, rows)
    small = [attendance_row(f"s{i}", f"{month}-12T10:00:00", f"person{m}@small.example")
             for i, month in enumerate(MONTHS) for m in range(4)]
    write_csv(settings.landing, "small", "attendance", "a.csv", ATTENDANCE_HEADER, small)
    ingest(settings)
    build(settings)
    out = root / "out"
    result = write_pack(settings, quarter="2026Q3", programme=PROGRAMME, out=out)
    return settings, result


def test_the_pack_holds_every_file_and_the_manifest_hashes_them(pack):
    settings, result = pack
    names = {p.relative_to(result.folder).as_posix() for p in result.files}
    for expected in ("overview.html", "big.html", "big.pdf", "small.html", "small.pdf", "workbook.xlsx",
                     "manifest.json", "tables/quarter_indicators.csv", "tables/quarter_indicators.parquet",
                     "tables/trends.csv", "tables/stage_history.csv", "tables/warning_signs.csv",
                     "tables/data_coverage.csv", "tables/programme_totals.parquet"):
        assert expected in names
    manifest = json.loads((result.folder / "manifest.json").read_text())
    import hashlib
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((result.folder / name).read_bytes()).hexdigest() == digest
    assert set(manifest["files"]) == names - {"manifest.json"}
    (build_id,) = query(settings, "select build_id from meta.builds where status = 'succeeded'")[0]
    assert manifest["build"]["build_id"] == build_id
    assert manifest["suppression"]["min_count"] == 8 and manifest["deliveries"]
    assert all(len(d["sha256"]) == 64 for d in manifest["deliveries"])
    assert manifest["validation"]["expectations_evaluated"] > 0


def test_a_re_run_for_the_same_quarter_and_build_is_byte_identical(pack, tmp_path):
    settings, result = pack
    build_id = json.loads((result.folder / "manifest.json").read_text())["build"]["build_id"]
    again = write_pack(settings, quarter="2026Q3", programme=PROGRAMME, out=tmp_path, build_id=build_id)
    for path in result.files:
        twin = again.folder / path.relative_to(result.folder)
        assert twin.read_bytes() == path.read_bytes(), path.name


def test_the_figures_are_published_values_with_small_numbers_hidden(pack):
    _, result = pack
    table = pd.read_csv(result.folder / "tables" / "quarter_indicators.csv", keep_default_na=False)
    big = table[(table["network_id"] == "big")].set_index("metric")
    small = table[(table["network_id"] == "small")].set_index("metric")
    assert big.loc["active_members", "quarter"] == "2026Q3"
    assert big.loc["active_members", "shown"] == "30"  # 28 members, rounded to 5
    assert float(big.loc["active_members", "previous_quarter"]) == 25.0  # 24 members a quarter earlier
    assert small.loc["active_members", "shown"] == "*"  # 4 members: hidden
    assert small.loc["attendances", "shown"] == "10"  # 8 attendances by 4 people: a count of people, rounded
    assert small.loc["meetings_held", "shown"] == "2"  # events are shown as they are
    parquet = pd.read_parquet(result.folder / "tables" / "quarter_indicators.parquet")
    assert parquet[(parquet["network_id"] == "small") & (parquet["metric"] == "active_members")]["value"].isna().all()


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed and `make browsers` could not install it")
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _every_text(folder: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".html", ".csv", ".json"):
            texts[path.name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".pdf":
            texts[path.name] = _pdf_text(path)
        elif path.suffix == ".parquet":
            texts[path.name] = pd.read_parquet(path).to_csv(index=False)
        elif path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            texts[path.name] = "\n".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True)
                                         for c in row if c is not None)
    return texts


def test_no_file_of_the_pack_holds_an_e_mail_member_key_or_name(pack):
    settings, result = pack
    keys = {k for (k,) in query(settings, "select member_key from core.members")}
    names = {n for (n,) in query(settings, "select distinct name from raw.attendance where name is not null")}
    emails = {e for (e,) in query(settings, "select distinct email from raw.attendance where email is not null")}
    assert keys and names and emails
    texts = _every_text(result.folder)
    assert {"big.pdf", "workbook.xlsx", "trends.parquet", "overview.html"} <= set(texts)
    for name, text in texts.items():
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), name
        for secret in keys | emails:
            assert secret not in text, name
        for person in names:  # "Member3": whole words only (a name may be a common word)
            assert not re.search(rf"\b{re.escape(person)}\b", text), (name, person)


def test_the_workbook_opens_and_defines_every_column(pack):
    _, result = pack
    book = load_workbook(result.folder / "workbook.xlsx")
    assert {"summary", "quarter_indicators", "trends", "stage_history", "warning_signs", "data_coverage",
            "programme_totals", "definitions"} <= set(book.sheetnames)
    defined = {row[0]: row[1] for row in book["definitions"].iter_rows(min_row=2, values_only=True)}
    for sheet in book.sheetnames[1:-1]:
        for header in next(book[sheet].iter_rows(max_row=1, values_only=True)):
            assert defined.get(header), (sheet, header)


def test_the_html_asks_for_nothing_outside_itself(pack):
    _, result = pack
    for path in result.folder.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text, re.IGNORECASE), path.name
        assert not re.search(r"url\(\s*['\"]?(?!data:|#)", text), path.name
        assert "@import" not in text and "@font-face" not in text


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A proxy that answers nothing and writes down every request the browser makes through it."""
    seen: ClassVar[list[str]] = []

    def do_GET(self):  # http.server's name
        _Recorder.seen.append(self.path)
        self.send_error(502)

    do_CONNECT = do_POST = do_HEAD = do_GET

    def log_message(self, *args):
        pass


def _non_blank(png: Path) -> float:
    image = Image.open(png).convert("L")
    histogram = image.histogram()
    white = histogram[255] + histogram[254]
    return 1 - white / sum(histogram)


@pytest.mark.parametrize("page", ["overview.html", "big.html"])
def test_chromium_renders_the_html_offline_with_content(pack, tmp_path, page):
    _, result = pack
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed and `make browsers` could not install it (needs root and apt)")
    _Recorder.seen = []
    with socketserver.TCPServer(("127.0.0.1", 0), _Recorder) as proxy:
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        png = tmp_path / "page.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}", "--proxy-bypass-list=<-loopback>",
                        "--window-size=1280,1800", f"--screenshot={png}", (result.folder / page).as_uri()],
                       capture_output=True, timeout=180, check=False)
        proxy.shutdown()
    assert png.exists()
    assert _non_blank(png) > 0.03  # text, tables and charts, not a white page
    assert [p for p in _Recorder.seen if "google" not in p and "gvt1" not in p] == []


def test_the_pdf_pages_have_content(pack, tmp_path):
    _, result = pack
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed and `make browsers` could not install it")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(result.folder / "big.pdf"), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 3
    assert all(_non_blank(p) > 0.01 for p in pages)
    assert "Big Network" in _pdf_text(result.folder / "big.pdf")


def test_the_network_picture_names_no_count_of_people(pack):
    """The picture's legend names organisations (when large enough), never how many members each has."""
    _, result = pack
    text = _pdf_text(result.folder / "big.pdf")
    assert "Network picture" in text
    assert not re.search(r"other or not known \(\d+\)", text)


def test_what_would_move_the_stage_gives_thresholds_never_counts_of_people(pack):
    """The report's "what would move it" is the funder-safe reason, not the analysts' one with counts."""
    settings, result = pack
    (basis, needs), = query(settings, "select next_stage_basis, next_stage_needs from indicators.network_stages "
                                      "where network_id = 'big' and grain = 'quarter' and is_current_rules "
                                      "order by period_start desc limit 1")
    assert basis != needs and re.search(r"\d+ active members", needs), "the analysts' text quotes counts"
    report = html.unescape((result.folder / "big.html").read_text(encoding="utf-8"))
    (paragraph,) = re.findall(r"<b>What would move it.</b>(.*?)</p>", report, flags=re.DOTALL)
    assert basis[1:] in paragraph
    assert needs[1:] not in report
    assert not re.search(r"\b\d+ (active members|retained)", paragraph)
