"""`netpulse pack`: write a funder pack for a quarter (CSV, Parquet, XLSX, HTML, PDF, manifest).

Every file is a function of the build's figures and the pack's options only (no clock, no
random layout), so the same quarter and build give byte-identical files (docs/decisions.md,
"Funder pack").
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.backends.backend_pdf import PdfPages
from openpyxl import Workbook
from openpyxl.styles import Font

from netpulse import METHODOLOGY_VERSION
from netpulse.config.settings import Settings
from netpulse.files import write_whole
from netpulse.outputs.disclosure import load_suppression
from netpulse.outputs.pack import charts, report, tables
from netpulse.outputs.pack.aggregates import PackData, read_pack_data
from netpulse.safe_text import inert_frame, inert_row
from netpulse.store.warehouse import open_warehouse

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass
class PackResult:
    folder: Path
    files: list[Path]
    seconds: float


def write_pack(settings: Settings, *, quarter: str | None = None, networks: list[str] | None = None,
               programme: str | None = None, build_id: str | None = None, out: Path | None = None,
               as_of: date | None = None) -> PackResult:
    started = datetime.now()
    rule = load_suppression(settings.network_config)
    with open_warehouse(settings, read_only=True) as con:
        data = read_pack_data(con, rule=rule, network_ids=networks, programme=programme, quarter=quarter,
                              as_of=as_of, build_id=build_id)
        latest = con.execute("select build_id from meta.builds where status = 'succeeded' "
                             "order by started_at desc limit 1").fetchone()[0]
        pictures = {n: _picture(con, data, n) if data.build["build_id"] == latest else
                    (None, "The network picture is drawn from the warehouse's current interactions, so it is left "
                     "out of packs re-created for an earlier build.") for n in data.selected}
    scope = programme or ("-".join(sorted(networks)) if networks else "all-networks")
    label = quarter or "latest-" + max(data.selected.values()).strftime("%Y-%m")
    folder = (out or settings.home / "packs") / _slug(f"{scope}_{label}")
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "quarter_indicators": tables.quarter_indicators(data),
        "trends": tables.trends(data),
        "stage_history": tables.stage_history(data),
        "warning_signs": tables.warning_signs(data),
        "data_coverage": tables.data_coverage(data),
        "programme_totals": tables.totals(data),
    }
    written: list[Path] = []
    for name, frame in frames.items():
        csv_text = inert_frame(frame).to_csv(index=False)  # a name like =HYPERLINK(...) stays text
        written.append(_write_bytes(folder / "tables" / f"{name}.csv", csv_text.encode("utf-8")))
        written.append(_write_bytes(folder / "tables" / f"{name}.parquet", _parquet(frame)))
    written.append(_write_bytes(folder / "workbook.xlsx", _workbook(frames, data)))
    title = programme or "Networks"
    written.append(_write_bytes(folder / "overview.html", report.programme_overview(
        data, f"{title}: quarterly overview", frames["quarter_indicators"], frames["trends"],
        frames["warning_signs"]).encode("utf-8")))
    for network_id in sorted(data.selected):
        picture, note = pictures[network_id]
        figures = report.network_figures(data, network_id, frames["quarter_indicators"], frames["trends"],
                                         frames["stage_history"], picture)
        page = report.network_report(data, network_id, frames["quarter_indicators"], frames["trends"],
                                     frames["stage_history"], frames["warning_signs"], frames["data_coverage"],
                                     figures, note)
        written.append(_write_bytes(folder / f"{network_id}.html", page.encode("utf-8")))
        written.append(_write_bytes(folder / f"{network_id}.pdf", _pdf(data, network_id, frames, figures)))
        for fig, _ in figures:
            plt.close(fig)
    written.append(_write_bytes(folder / "manifest.json", _manifest(data, folder, written, quarter, programme,
                                                                     networks)))
    return PackResult(folder, written, (datetime.now() - started).total_seconds())


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower()


def _write_bytes(path: Path, content: bytes) -> Path:
    write_whole(path, content)  # never leave a half-written file
    return path


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _workbook(frames: dict, data: PackData) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "summary"
    _append(summary, ["Funder pack", "figures as of build " + data.build["build_id"]])
    _append(summary, ["Disclosure control", data.rule.describe()])
    _append(summary, ["Methodology", data.build["methodology_version"]])
    _append(summary, [])
    _append(summary, ["network_id", "network_name", "quarter", "quarter_months", "stage", "what would move it"])
    indicators = frames["quarter_indicators"]
    for network_id in sorted(data.selected):
        row = indicators[indicators["network_id"] == network_id].iloc[0]
        stage = data.stage_next.get(network_id, {})
        _append(summary, [network_id, row["network_name"], row["quarter"], row["quarter_months"],
                          stage.get("stage", ""), stage.get("next", "")])
    shown_columns = set()
    for name, frame in frames.items():
        sheet = book.create_sheet(name[:31])
        _append(sheet, list(frame.columns))
        shown_columns.update(frame.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for record in frame.itertuples(index=False):
            _append(sheet, [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else
                            (float(v) if hasattr(v, "dtype") and "float" in str(v.dtype) else v) for v in record])
    definitions = book.create_sheet("definitions")
    _append(definitions, ["column", "meaning"])
    for column in sorted(shown_columns | {"network_id", "stage"}):
        _append(definitions, [column, tables.definitions().get(column, "")])
    fixed = datetime(2000, 1, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _append(sheet, row: list) -> None:
    """A row with its text made inert: openpyxl takes a string starting with ``=`` as a formula, so
    a network named =HYPERLINK(...) would become a live link in the funder's workbook."""
    sheet.append(inert_row(row))


def _fixed_zip(content: bytes) -> bytes:
    """The same zip with fixed entry times: openpyxl stamps every entry with the clock."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            text = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>",
                              b'<dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified>',
                              text)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME), text,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _pdf(data: PackData, network_id: str, frames: dict, figures: list[tuple]) -> bytes:
    """The report as PDF: a page of text (at a glance, narrative) then the charts, two a page."""
    buffer = io.BytesIO()
    indicators = frames["quarter_indicators"]
    mine = indicators[indicators["network_id"] == network_id].set_index("metric")
    facts = report.network_facts(data, network_id, indicators, frames["warning_signs"])
    stage = data.stage_next.get(network_id, {})
    name = data.networks.set_index("network_id").loc[network_id, "name"]
    lines = [
        (f"{name}", 16, "bold"),
        (f"Quarterly report, {mine['quarter'].iloc[0]} ({mine['quarter_months'].iloc[0]}); build "
         f"{data.build['build_id']}", 9, "normal"),
        ("", 6, "normal"),
        (f"Stage: {facts['stage']}    Direction: {facts['direction']}", 12, "bold"),
        (f"Strongest key feature: {tables.feature_names().get(facts['strongest'], 'no evidence')};  weakest: "
         f"{tables.feature_names().get(facts['weakest'], 'no evidence')}", 10, "normal"),
        ("Needs attention: " + ("; ".join(facts["attention"]) or "nothing flagged"), 10, "normal"),
        ("", 6, "normal"),
        (report.narrative(facts, mine), 10, "normal"),
        ("", 6, "normal"),
        ("Why this stage: " + report.STAGE_WORDS.get(facts["stage"], "") + " Rule met: " + stage.get("basis", ""),
         9, "normal"),
        ("What would move it: " + stage.get("next", ""), 9, "normal"),
        ("", 6, "normal"),
        ("Disclosure control: " + data.rule.describe(), 8, "normal"),
    ]
    # No dates in the metadata: the same figures give the same bytes.
    metadata = {"CreationDate": None, "ModDate": None, "Creator": "netpulse", "Producer": "netpulse"}
    with plt.rc_context(charts.STYLE), PdfPages(buffer, metadata=metadata) as pdf:
        page = charts.figure(8.27, 11.69)
        y = 0.95
        import textwrap
        for text, size, weight in lines:
            for part in textwrap.wrap(text, width=int(95 * 10 / size)) or [""]:
                page.text(0.07, y, part, fontsize=size, fontweight=weight, va="top")
                y -= size / 11.69 / 72 * 1.5
        pdf.savefig(page)
        plt.close(page)
        for fig, _ in figures:
            pdf.savefig(fig, bbox_inches="tight")
    return buffer.getvalue()


def _picture(con, data: PackData, network_id: str):
    """(layout, edges, groups, group names) of the quarter's interaction graph, or (None, why not)."""
    start = data.selected[network_id]
    active = report_value(data, network_id, "active_members")
    rule = data.rule
    if active is None or active < rule.min_count:
        return None, f"Not drawn: fewer than {rule.min_count} active members this quarter."
    end = (pd.Timestamp(start) + pd.DateOffset(months=3)).date()
    edges = con.execute(
        "select member_a, member_b, sum(weight) from core.interactions where network_id = ? and local_date >= ? "
        "and local_date < ? and member_a <> member_b group by all order by 1, 2", [network_id, start, end]).fetchall()
    if not edges:
        return None, "Not drawn: no interactions recorded this quarter."
    organisations = dict(con.execute(
        "select member_key, coalesce(organisation, '') from core.members where network_id = ?",
        [network_id]).fetchall())
    # Members are numbered in a fixed order of their keys, then the keys are dropped: the
    # picture (and the layout's seed) never holds a key.
    keys = sorted({a for a, _, _ in edges} | {b for _, b, _ in edges})
    number = {k: i for i, k in enumerate(keys)}
    graph = nx.Graph()
    graph.add_nodes_from(range(len(keys)))
    for a, b, w in edges:
        graph.add_edge(number[a], number[b], weight=float(w))
    positions = nx.spring_layout(graph, seed=7, weight="weight", iterations=60)
    positions = {n: (round(float(x), 4), round(float(y), 4)) for n, (x, y) in positions.items()}
    sizes: dict[str, int] = {}
    for key in keys:
        sizes[organisations.get(key, "")] = sizes.get(organisations.get(key, ""), 0) + 1
    # An organisation gets its own colour and marker only with at least min_count members drawn.
    shown_orgs = sorted(o for o, n in sizes.items() if o and n >= rule.min_count)
    other = "other or not known"
    groups = {number[k]: (organisations.get(k, "") if organisations.get(k, "") in shown_orgs else other) for k in keys}
    names = shown_orgs + ([other] if other in groups.values() else [])
    edge_list = [(number[a], number[b], float(w)) for a, b, w in edges]
    note = (f"Members are unnamed dots; organisations with at least {rule.min_count} members here have their own "
            f"colour and marker, the rest are grey circles. Drawn for {start:%B %Y} to the quarter's end.")
    return (positions, edge_list, groups, names), note


def report_value(data: PackData, network_id: str, column: str):
    rows = data.periods[(data.periods["network_id"] == network_id)
                        & (data.periods["period_start"] == pd.Timestamp(data.selected[network_id]))]
    if rows.empty or pd.isna(rows.iloc[0][column]):
        return None
    return float(rows.iloc[0][column])


def _manifest(data: PackData, folder: Path, written: list[Path], quarter, programme, networks) -> bytes:
    document = {
        "pack": {"quarter": quarter or "latest complete", "programme": programme, "networks": sorted(data.selected),
                 "quarters": {n: f"{s:%Y-%m-%d}" for n, s in sorted(data.selected.items())}},
        "build": data.build,
        "versions": {"methodology": data.build["methodology_version"] or METHODOLOGY_VERSION,
                     "stage_rules": data.build["stage_rules_version"],
                     "key_features": data.build["key_features_version"],
                     "warning_signs": data.build["warning_signs_version"]},
        "validation": data.validation,
        "suppression": data.rule.as_dict(),
        "deliveries": [{k: (int(v) if hasattr(v, "item") else v) for k, v in r.items()}
                       for r in data.deliveries.to_dict("records")],
        "files": {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                  for p in sorted(written)},
    }
    return (json.dumps(document, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")
