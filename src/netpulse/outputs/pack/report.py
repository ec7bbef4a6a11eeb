"""The pack's HTML: one report per network and a programme overview, self-contained.

Styles inline, charts as inline SVG with text drawn as paths, one small inline script for
sorting the overview: the files open offline and ask nothing of the network.
"""

from __future__ import annotations

import html

import pandas as pd

from netpulse.config.key_features import feature_columns
from netpulse.outputs.pack import charts
from netpulse.outputs.pack.aggregates import PackData
from netpulse.outputs.pack.tables import feature_names, metric_names

TREND_COUNTS = {"People": ("active_members", "new_members", "retained_members", "survey_responses"),
                "Activity": ("meetings_held", "forum_posts", "attendances")}
STAGE_WORDS = {
    "pre-emergent": "Pre-emergent: activity has begun but not yet at the level of an emerging network.",
    "emerging": "Emerging: a regular group of members meets and takes part.",
    "established": "Established: a large, stable membership with strong relationships and shared leadership.",
    "dormant": "Dormant: activity has fallen far below the network's own peak.",
}
CSS = """
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#1a1a1a;max-width:980px;margin:24px auto;
padding:0 16px;
line-height:1.45;font-size:15px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #1a1a1a;padding-bottom:3px;margin-top:30px}
.sub{color:#444;margin:0 0 16px}.glance{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px}
.card{border:1px solid #999;border-radius:6px;padding:10px 12px;background:#fafafa}.card b{display:block;font-size:13px;
color:#444;text-transform:uppercase;letter-spacing:.04em}.card .big{font-size:22px;font-weight:bold}
table{border-collapse:collapse;width:100%;font-size:14px;margin:8px 0}
th,td{border-bottom:1px solid #ccc;padding:5px 7px;
text-align:left;vertical-align:top}th{background:#eee}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.up{font-weight:bold}.note{font-size:13px;color:#444}.narrative{font-size:16px;background:#f3f6fa;border-left:5px solid
#0072B2;padding:10px 14px}.warn{border-left:5px solid #D55E00;padding-left:8px}svg{max-width:100%;height:auto}
.heat{font-weight:bold;text-align:center}th[data-sort]{cursor:pointer}th[data-sort]:after{content:' \\2195';color:#666}
body.wide{max-width:1400px;font-size:14px}body.wide td,body.wide th{padding:4px 5px}.spark svg{width:130px;height:auto}
@media print{body{max-width:none}}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _num(value) -> str:
    return "*" if value is None else f"{float(value):.0f}"


def _signed(value) -> str:
    if value is None:
        return ""
    return f"+{value:.0f}" if value > 0 else f"{value:.0f}"


def _page(title: str, body: str, script: str = "", wide: bool = False) -> str:
    body_tag = '<body class="wide">' if wide else "<body>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_e(title)}</title>"
            f"<style>{CSS}</style></head>{body_tag}\n{body}\n{script}</body></html>\n")


def network_facts(data: PackData, network_id: str, quarter_rows: pd.DataFrame, signs: pd.DataFrame) -> dict:
    """What a reader must be able to say: stage, growing or fading, strongest/weakest feature, attention."""
    mine = quarter_rows[quarter_rows["network_id"] == network_id].set_index("metric")

    def get(metric, column="value"):
        value = mine.loc[metric, column]
        return None if pd.isna(value) else float(value)

    active, before = get("active_members"), get("active_members", "previous_quarter")
    year = get("active_members", "year_earlier")
    stage = data.stage_next.get(network_id, {}).get("stage", "unknown")
    if stage == "dormant":
        direction = "fading"
    elif active is None or before is None:
        direction = "too small to tell"
    elif active > before * 1.1 or (year is not None and active > year * 1.2 and active >= before):
        direction = "growing"
    elif active < before * 0.9:
        direction = "fading"
    else:
        direction = "holding steady"
    scores = {c: get(c) for c in feature_columns() if get(c) is not None}
    strongest = max(scores, key=scores.__getitem__) if scores else None
    weakest = min(scores, key=scores.__getitem__) if scores else None
    current = signs[(signs["network_id"] == network_id) & signs["in_pack_quarter"]]
    attention = [f"{t} ({s}, {h} quarter{'s' if h != 1 else ''})"
                 for t, s, h in zip(current["title"], current["severity"], current["quarters_held"], strict=True)]
    return {"stage": stage, "direction": direction, "active": active, "before": before, "year": year,
            "strongest": strongest, "weakest": weakest, "scores": scores, "attention": attention}


def narrative(facts: dict, mine: pd.DataFrame) -> str:
    """A few sentences from the figures only."""
    parts = []
    active, before = facts["active"], facts["before"]
    if active is None:
        parts.append("Active membership is too small to show this quarter (fewer than the threshold).")
    elif before is None:
        parts.append(f"Active membership was {active:.0f} this quarter.")
    elif active > before:
        parts.append(f"Active membership grew from {before:.0f} to {active:.0f} on the previous quarter.")
    elif active < before:
        parts.append(f"Active membership fell from {before:.0f} to {active:.0f} on the previous quarter.")
    else:
        parts.append(f"Active membership held at {active:.0f}.")
    words = []
    for column in feature_columns():
        row = mine.loc[column]
        if pd.isna(row["value"]):
            continue
        text = f"{feature_names()[column].lower()} {row['value']:.0f}"
        if not pd.isna(row["change_on_previous"]):
            delta = row["change_on_previous"]
            text += f", {'up' if delta > 0 else 'down'} {abs(delta):.0f}" if delta else ", unchanged"
        words.append(text)
    if words:
        parts.append("Key features: " + "; ".join(words) + ".")
    if facts["strongest"]:
        parts.append(f"Strongest: {feature_names()[facts['strongest']].lower()}; weakest: "
                     f"{feature_names()[facts['weakest']].lower()}.")
    parts.append("Needs attention: " + "; ".join(facts["attention"]) + "." if facts["attention"]
                 else "No warning signs this quarter.")
    return " ".join(parts)


def _trend_series(trend: pd.DataFrame, network_id: str, metrics) -> tuple[list[str], dict]:
    mine = trend[trend["network_id"] == network_id]
    quarters = list(dict.fromkeys(mine["quarter"]))
    series = {}
    for metric in metrics:
        values = mine[mine["metric"] == metric].set_index("quarter")["value"]
        series[metric_names()[metric]] = [None if q not in values or pd.isna(values[q]) else float(values[q])
                                        for q in quarters]
    return quarters, series


def network_figures(data: PackData, network_id: str, quarter_rows, trend, stages, picture) -> list[tuple]:
    """(figure, label) for the report: used for the HTML's SVG and the PDF's pages."""
    name = data.networks.set_index("network_id").loc[network_id, "name"]
    mine = quarter_rows[quarter_rows["network_id"] == network_id].set_index("metric")
    label = mine["quarter"].iloc[0]
    figures = []
    now = [None if pd.isna(mine.loc[c, "value"]) else float(mine.loc[c, "value"]) for c in feature_columns()]
    before = [None if pd.isna(mine.loc[c, "previous_quarter"]) else float(mine.loc[c, "previous_quarter"])
              for c in feature_columns()]
    figures.append((charts.feature_bars(f"Key features, {label} against the previous quarter",
                                        [feature_names()[c] for c in feature_columns()], now, before,
                                        f"{label}", "previous quarter"), "key features"))
    for title, metrics in TREND_COUNTS.items():
        quarters, series = _trend_series(trend, network_id, metrics)
        figures.append((charts.line_chart(f"{title}: last {len(quarters)} quarters", "count per quarter", quarters,
                                          series, note="Gaps: hidden (fewer than the threshold) or no data. "
                                          "Counts of people rounded to 5."), f"{title} trend"))
    quarters, series = _trend_series(trend, network_id, feature_columns())
    figures.append((charts.line_chart("Key features: last quarters", "score (0-100)", quarters, series, ymax=105,
                                      height=3.0), "key features trend"))
    mine_stages = stages[stages["network_id"] == network_id].tail(8)
    figures.append((charts.stage_timeline("Development stage by quarter", list(mine_stages["quarter"]),
                                          list(mine_stages["stage"])), "stage timeline"))
    if picture is not None:
        figures.append((charts.network_picture(f"Network picture, {label}", *picture), "network picture"))
    del name
    return figures


def network_report(data: PackData, network_id: str, quarter_rows, trend, stages, signs, coverage,
                   figures: list[tuple], picture_note: str) -> str:
    net = data.networks.set_index("network_id").loc[network_id]
    mine = quarter_rows[quarter_rows["network_id"] == network_id].set_index("metric")
    label, months = mine["quarter"].iloc[0], mine["quarter_months"].iloc[0]
    facts = network_facts(data, network_id, quarter_rows, signs)
    stage = data.stage_next.get(network_id, {})
    svgs = {lab: charts.svg(fig, lab) for fig, lab in figures}
    out = [f"<h1>{_e(net['name'])}</h1>",
           f"<p class=\"sub\">Quarterly report, {_e(label)} ({_e(months)}) &middot; programme: "
           f"{_e(net['programme'] or 'none')} &middot; figures as of build {_e(data.build['build_id'])}</p>",
           "<h2>The quarter at a glance</h2><div class=\"glance\">",
           f"<div class=\"card\"><b>Stage</b><span class=\"big\">{_e(facts['stage'])}</span></div>",
           f"<div class=\"card\"><b>Direction</b><span class=\"big\">{_e(facts['direction'])}</span>"
           f"<br>active members {_num(facts['before'])} &rarr; {_num(facts['active'])}</div>",
           "<div class=\"card\"><b>Strongest / weakest</b>"
           f"{_e(feature_names().get(facts['strongest'], 'no evidence'))} / "
           f"{_e(feature_names().get(facts['weakest'], 'no evidence'))}</div>",
           f"<div class=\"card\"><b>Needs attention</b>{_e('; '.join(facts['attention']) or 'nothing flagged')}"
           "</div></div>",
           f"<p class=\"narrative\">{_e(narrative(facts, mine))}</p>",
           f"<p><b>Why this stage.</b> {_e(STAGE_WORDS.get(facts['stage'], ''))} The rule it met: "
           f"{_e(stage.get('basis', ''))}.</p>",
           # data.stage_next[...]["next"] is the `next_stage_basis` column of
           # indicators.network_stages when the build has it, else the next stage's rule.
           f"<p><b>What would move it.</b> {_e(stage.get('next', '').capitalize())}. <span class=\"note\">The "
           "thresholds apply to the true counts; the counts in this report are rounded to the nearest 5, so a "
           "network shown at a threshold may be just below it.</span></p>",
           "<h2>Key features against the previous quarter</h2>", svgs["key features"],
           _feature_table(mine),
           "<h2>Warning signs</h2>", _signs_html(signs, network_id),
           "<h2>Trends over the last eight quarters</h2>", _counts_table(mine),
           svgs["People trend"], svgs["Activity trend"], svgs["key features trend"],
           "<h2>Stage timeline</h2>", svgs["stage timeline"], _stage_table(stages, network_id),
           "<h2>The network picture</h2>", svgs.get("network picture", ""), f"<p class=\"note\">{_e(picture_note)}</p>",
           "<h2>Data coverage and caveats</h2>", _coverage_html(coverage, network_id, data),
           ]
    return _page(f"{net['name']}: {label}", "\n".join(out))


def _feature_table(mine: pd.DataFrame) -> str:
    names = feature_names()
    rows = "".join(
        f"<tr><td>{_e(names[c])}</td><td class=\"n\">{_e(mine.loc[c, 'shown'] or 'no evidence')}</td>"
        f"<td class=\"n\">{_score(mine.loc[c, 'previous_quarter'])}</td>"
        f"<td class=\"n\">{_change(mine, c)}</td><td class=\"n\">{_score(mine.loc[c, 'year_earlier'])}</td></tr>"
        for c in names)
    return ("<table><tr><th>Key feature (0-100)</th><th class=\"n\">This quarter</th><th class=\"n\">Previous</th>"
            f"<th class=\"n\">Change</th><th class=\"n\">A year earlier</th></tr>{rows}</table>")


def _change(mine: pd.DataFrame, metric: str) -> str:
    value = mine.loc[metric, "change_on_previous"]
    return _signed(None if pd.isna(value) else value)


def _score(value) -> str:
    return "&ndash;" if value is None or pd.isna(value) else f"{float(value):.0f}"


def _counts_table(mine: pd.DataFrame) -> str:
    names, scores = metric_names(), set(feature_columns())
    rows = "".join(
        f"<tr><td>{_e(names[c])}</td><td class=\"n\">{_e(mine.loc[c, 'shown'])}</td>"
        f"<td class=\"n\">{_score(mine.loc[c, 'previous_quarter'])}</td>"
        f"<td class=\"n\">{_change(mine, c)}</td><td class=\"n\">{_score(mine.loc[c, 'year_earlier'])}</td></tr>"
        for c in mine.index if c not in scores)
    return ("<table><tr><th>This quarter</th><th class=\"n\">Count</th><th class=\"n\">Previous</th>"
            f"<th class=\"n\">Change</th><th class=\"n\">A year earlier</th></tr>{rows}</table>"
            "<p class=\"note\">Counts of people are rounded to the nearest 5; * means fewer than the threshold "
            "(hidden to protect individuals); &ndash; means no figure. Meetings and posts are shown as they are.</p>")


def _signs_html(signs: pd.DataFrame, network_id: str) -> str:
    mine = signs[signs["network_id"] == network_id]
    current = mine[mine["in_pack_quarter"]]
    if current.empty:
        return "<p>No warning signs this quarter.</p>"
    items = "".join(f"<li><b>{_e(r.title)}</b>: {_e(r.severity)} severity, held for {r.quarters_held} "
                    f"quarter{'s' if r.quarters_held != 1 else ''} (since {_e(_since(mine, r))})</li>"
                    for r in current.itertuples())
    return f"<ul class=\"warn\">{items}</ul>"


def _since(mine: pd.DataFrame, row) -> str:
    quarters = list(mine[mine["warning_sign"] == row.warning_sign]["quarter"])
    held = int(row.quarters_held)
    return quarters[-held] if len(quarters) >= held else quarters[0]


def _stage_table(stages: pd.DataFrame, network_id: str) -> str:
    mine = stages[(stages["network_id"] == network_id) & stages["changed"]]
    first = stages[stages["network_id"] == network_id].head(1)
    rows = "".join(f"<tr><td>{_e(r.quarter)}</td><td>{_e(r.quarter_months)}</td><td>{_e(r.stage)}</td></tr>"
                   for r in pd.concat([first, mine]).itertuples())
    return f"<table><tr><th>From quarter</th><th>Months</th><th>Stage</th></tr>{rows}</table>"


def _coverage_html(coverage: pd.DataFrame, network_id: str, data: PackData) -> str:
    mine = coverage[coverage["network_id"] == network_id]
    rows = "".join(f"<tr><td>{_e(r.source)}</td><td class=\"n\">{r.deliveries_loaded}</td>"
                   f"<td class=\"n\">{r.deliveries_quarantined}</td><td class=\"n\">{r.deliveries_duplicate}</td>"
                   f"<td>{_e(r.last_received)}</td></tr>" for r in mine.itertuples())
    validation = data.validation
    return ("<table><tr><th>Source</th><th class=\"n\">Files loaded</th><th class=\"n\">Quarantined</th>"
            f"<th class=\"n\">Duplicates</th><th>Last received</th></tr>{rows}</table>"
            f"<p class=\"note\">Quality checks of this build: {validation['expectations_passed']} of "
            f"{validation['expectations_evaluated']} passed ({_e(validation['status'])}). Quarantined files failed "
            "validation and are in no figure. A source that is missing means no figures of that kind (for "
            "example, no survey: no survey-based evidence in the key features).</p>"
            f"<p class=\"note\">Disclosure control: {_e(data.rule.describe())}. Methodology "
            f"{_e(data.build['methodology_version'])}, stage rules {_e(data.build['stage_rules_version'])}, key "
            f"features {_e(data.build['key_features_version'])}.</p>")


def programme_overview(data: PackData, title: str, quarter_rows, trend, signs) -> str:
    names = feature_names()
    head = ("<tr><th data-sort=\"text\">Network</th><th data-sort=\"text\">Quarter</th>"
            "<th data-sort=\"text\">Stage</th><th data-sort=\"text\">Direction</th>"
            "<th data-sort=\"num\" class=\"n\">Active members</th><th>Active, last 8 quarters</th>"
            + "".join(f"<th data-sort=\"num\" class=\"n\">{_e(name)}</th>" for name in names.values())
            + "<th data-sort=\"text\">Strongest / weakest</th><th data-sort=\"num\">Warning signs</th></tr>")
    rows = []
    for network_id in sorted(data.selected):
        net = data.networks.set_index("network_id").loc[network_id]
        mine = quarter_rows[quarter_rows["network_id"] == network_id].set_index("metric")
        facts = network_facts(data, network_id, quarter_rows, signs)
        _quarters, series = _trend_series(trend, network_id, ("active_members",))
        values = series[metric_names()["active_members"]]
        spark = charts.sparkline(values, "active members by quarter: " + ", ".join(_num(v) for v in values))
        cells = "".join(_heat(mine.loc[c, "value"], mine.loc[c, "shown"]) for c in names)
        strong = (f"{names[facts['strongest']]} / {names[facts['weakest']]}"
                  if facts["strongest"] else "no evidence")
        signs_text = "; ".join(facts["attention"]) or "none"
        rows.append(
            f"<tr><td><a href=\"{_e(network_id)}.html\">{_e(net['name'])}</a></td>"
            f"<td>{_e(mine['quarter'].iloc[0])}<br>"
            f"<span class=\"note\">{_e(mine['quarter_months'].iloc[0])}</span></td>"
            f"<td>{_e(facts['stage'])}</td><td>{_e(facts['direction'])}</td>"
            f"<td class=\"n\" data-value=\"{_sortable(mine.loc['active_members', 'value'])}\">"
            f"{_e(mine.loc['active_members', 'shown'])}</td><td class=\"spark\">{spark}</td>{cells}"
            f"<td>{_e(strong)}</td><td data-value=\"{len(facts['attention'])}\">{_e(signs_text)}</td></tr>")
    body = (f"<h1>{_e(title)}</h1><p class=\"sub\">Programme overview: every network side by side &middot; figures as "
            f"of build {_e(data.build['build_id'])}. Click a column heading to sort; click a network for its report."
            "</p><table id=\"overview\"><thead>" + head + "</thead><tbody>" + "".join(rows) + "</tbody></table>"
            "<p class=\"note\">Key features are scores from 0 to 100 (higher is stronger); the shading deepens with "
            "the score and the number is always shown, so the table reads in black and white. "
            "* = hidden (fewer members than the threshold); blank = no evidence. Direction compares active members "
            "with the previous quarter (more than 10% up: growing; more than 10% down: fading). Quarters are "
            "named in each network's own year: networks on financial years count Q1 from April, so the months "
            "are shown under each quarter.</p>"
            f"<p class=\"note\">Disclosure control: {_e(data.rule.describe())}.</p>")
    return _page(title, body, SORT_SCRIPT, wide=True)


def _sortable(value) -> str:
    return "-1" if value is None or pd.isna(value) else f"{float(value):.0f}"


def _heat(value, shown_text: str) -> str:
    if value is None or pd.isna(value):
        return f"<td class=\"heat\" data-value=\"-1\">{_e(shown_text)}</td>"
    grey = int(245 - float(value) * 1.6)  # 0 -> very light, 100 -> mid grey: the text stays readable
    return (f"<td class=\"heat n\" data-value=\"{float(value):.0f}\" style=\"background:rgb({grey},{grey + 4},"
            f"{min(grey + 14, 255)})\">{float(value):.0f}</td>")


SORT_SCRIPT = """<script>
document.querySelectorAll('#overview th[data-sort]').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = document.querySelector('#overview tbody');
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = th.getAttribute('data-sort') === 'num';
    var up = th.getAttribute('data-dir') !== 'asc';
    th.setAttribute('data-dir', up ? 'asc' : 'desc');
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col];
      var u = numeric ? parseFloat(x.getAttribute('data-value')) : x.textContent;
      var v = numeric ? parseFloat(y.getAttribute('data-value')) : y.textContent;
      return (u < v ? -1 : u > v ? 1 : 0) * (up ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>
"""
