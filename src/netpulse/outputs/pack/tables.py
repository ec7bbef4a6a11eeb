"""The pack's tables in long form (one figure a row), the shape CSV, Parquet and the workbook share.

``value`` is the published number (blank when hidden or without evidence); ``shown`` is the
text a reader sees: the number, ``*`` when hidden, blank when there is no evidence.
"""

from __future__ import annotations

import pandas as pd

from netpulse.config.key_features import active_key_features, feature_columns
from netpulse.outputs.disclosure import SUPPRESSED
from netpulse.outputs.pack.aggregates import COUNTS, PackData, metrics, programme_totals, quarter_table, trend_table
from netpulse.outputs.pack.quarters import quarter_label, quarter_months

COUNT_NAMES = {
    "active_members": "Active members", "new_members": "New members", "retained_members": "Retained members",
    "meetings_held": "Meetings held", "attendances": "Attendances", "forum_posts": "Forum posts",
    "forum_replies": "Forum replies", "survey_responses": "Survey responses",
}


def feature_names() -> dict[str, str]:
    """Score column -> the key feature's heading (its short label, ``config/key_features.yaml``)."""
    return {f.column: f.heading for f in active_key_features().features}


def metric_names() -> dict[str, str]:
    return {**COUNT_NAMES, **feature_names()}


def shown(metric: str, value, hidden_base: bool) -> str:
    """The text of a published value: ``*`` hidden, blank no evidence."""
    if value is None or pd.isna(value):
        if metric in feature_columns():
            return SUPPRESSED if hidden_base else ""
        return SUPPRESSED
    return f"{float(value):.0f}"


def _calendar(data: PackData) -> dict:
    return dict(zip(data.networks["network_id"], data.networks["quarter_start_month"].astype(int), strict=True))


def _base_hidden(periods: pd.DataFrame) -> dict:
    return {(r.network_id, pd.Timestamp(r.period_start)): pd.isna(r.active_members) for r in periods.itertuples()}


def quarter_indicators(data: PackData) -> pd.DataFrame:
    table = quarter_table(data.periods, data.selected)
    hidden = _base_hidden(data.periods)
    calendar = _calendar(data)
    names = dict(zip(data.networks["network_id"], data.networks["name"], strict=True))
    out = pd.DataFrame({
        "network_id": table["network_id"],
        "network_name": [names[n] for n in table["network_id"]],
        "quarter": [quarter_label(s, calendar[n]) for n, s in zip(table["network_id"], table["quarter_start"],
                                                                    strict=True)],
        "quarter_months": [quarter_months(s) for s in table["quarter_start"]],
        "metric": table["metric"],
        "metric_name": [metric_names()[m] for m in table["metric"]],
        "kind": table["kind"],
        "value": table["value"],
        "shown": [shown(m, v, hidden.get((n, pd.Timestamp(s)), False)) for n, s, m, v in
                  zip(table["network_id"], table["quarter_start"], table["metric"], table["value"], strict=True)],
        "previous_quarter": table["previous_quarter"],
        "change_on_previous": table["change_on_previous"],
        "year_earlier": table["year_earlier"],
        "change_on_year_earlier": table["change_on_year_earlier"],
    })
    return out


def trends(data: PackData) -> pd.DataFrame:
    table = trend_table(data.periods, data.selected)
    hidden = _base_hidden(data.periods)
    calendar = _calendar(data)
    rows = []
    for record in table.to_dict("records"):
        start = pd.Timestamp(record["period_start"]).date()
        for metric in metrics():
            value = record[metric]
            value = None if value is None or pd.isna(value) else float(value)
            network_id = record["network_id"]
            rows.append({"network_id": network_id, "quarter": quarter_label(start, calendar[network_id]),
                         "quarter_months": quarter_months(start), "quarter_start": start.isoformat(), "metric": metric,
                         "value": value,
                         "shown": shown(metric, value, hidden.get((record["network_id"], pd.Timestamp(start)), False))})
    frame = pd.DataFrame(rows, columns=["network_id", "quarter", "quarter_months", "quarter_start", "metric", "value",
                                        "shown"])
    frame["value"] = pd.array(frame["value"].tolist(), dtype="Float64")
    return frame


def stage_history(data: PackData) -> pd.DataFrame:
    calendar = _calendar(data)
    rows = []
    previous: dict = {}
    for record in data.periods.sort_values(["network_id", "period_start"]).to_dict("records"):
        start = pd.Timestamp(record["period_start"]).date()
        before = previous.get(record["network_id"])
        network_id = record["network_id"]
        rows.append({"network_id": network_id, "quarter": quarter_label(start, calendar[network_id]),
                     "quarter_months": quarter_months(start), "stage": record["stage"],
                     "changed": before is not None and before != record["stage"],
                     "previous_stage": before or "", "stage_rules_version": record["stage_rules_version"]})
        previous[record["network_id"]] = record["stage"]
    return pd.DataFrame(rows, columns=["network_id", "quarter", "quarter_months", "stage", "changed", "previous_stage",
                                       "stage_rules_version"])


def warning_signs(data: PackData) -> pd.DataFrame:
    calendar = _calendar(data)
    frame = data.warnings.copy()
    starts = [pd.Timestamp(s).date() for s in frame["period_start"]]
    return pd.DataFrame({
        "network_id": frame["network_id"],
        "quarter": [quarter_label(s, calendar[n]) for n, s in zip(frame["network_id"], starts, strict=True)],
        "quarter_months": [quarter_months(s) for s in starts],
        "warning_sign": frame["warning_sign"], "title": frame["title"], "severity": frame["severity"],
        "quarters_held": frame["periods_held"].astype("Int64"),
        "in_pack_quarter": [data.selected.get(n) == s for n, s in zip(frame["network_id"], starts, strict=True)],
    })


def data_coverage(data: PackData) -> pd.DataFrame:
    return data.coverage.copy()


def totals(data: PackData) -> pd.DataFrame:
    frame = programme_totals(data.periods, data.selected)
    rows = [{"metric": c, "metric_name": metric_names()[c], "total_of_shown": int(frame.iloc[0][c]),
             "excludes_hidden_cells": bool(frame.iloc[0][f"{c}_excludes_hidden"])} for c in COUNTS]
    return pd.DataFrame(rows)


DEFINITIONS = {
    "network_id": "The network's identifier in the networks file.",
    "network_name": "The network's name.",
    "quarter": "The quarter in the network's own calendar: YYYYQn, the year named after the calendar year its "
               "first quarter starts in (networks on financial years start in April).",
    "quarter_months": "The months of the quarter.",
    "quarter_start": "The first day of the quarter.",
    "metric": "The figure's column name in the warehouse (indicators.network_period).",
    "metric_name": "The figure in words.",
    "kind": "people count (hidden when small, rounded), event count (as it is), or score (0-100).",
    "value": "The published number: rounded for counts of people; blank when hidden or without evidence.",
    "shown": "What a reader sees: the number, * when hidden to protect individuals, blank when there is no evidence.",
    "previous_quarter": "The published value of the quarter before.",
    "change_on_previous": "value minus previous_quarter, both published (blank when either is hidden or missing).",
    "year_earlier": "The published value of the same quarter a year earlier.",
    "change_on_year_earlier": "value minus year_earlier, both published.",
    "stage": "Development stage: pre-emergent, emerging, established or dormant (docs/methodology.md).",
    "changed": "True when the stage differs from the quarter before.",
    "previous_stage": "The stage of the quarter before.",
    "stage_rules_version": "The version of the stage rules that classified the quarter.",
    "warning_sign": "The warning sign's identifier (config/warning_signs.yaml).",
    "title": "The warning sign in words.",
    "severity": "medium, or high (large, or held for several quarters).",
    "quarters_held": "Consecutive quarters the sign has held, up to this one.",
    "in_pack_quarter": "True for the pack's own quarter; earlier quarters are history.",
    "source": "The kind of data delivered: attendance, forum, survey, roster.",
    "deliveries_loaded": "Files loaded into the warehouse up to the build (a count of files, not people).",
    "deliveries_duplicate": "Files that repeated one already loaded (ignored).",
    "deliveries_quarantined": "Files set aside because they failed validation (not in any figure).",
    "last_received": "The date the latest file from this source was received.",
    "total_of_shown": "The sum of the shown values over the pack's networks (hidden cells count as nothing).",
    "excludes_hidden_cells": "True when at least one network's value was hidden: the total is then a lower bound.",
    "active_members": "Members with any activity (meeting, forum, survey) in the quarter.",
    "new_members": "Active members whose first activity was in the quarter.",
    "retained_members": "Active members who were also active in the quarter before.",
    "meetings_held": "Meetings with at least one attendee.",
    "attendances": "Attendances at meetings (a person at a meeting).",
    "forum_posts": "Forum posts (topics and replies).",
    "forum_replies": "Forum posts that answer another post.",
    "survey_responses": "Completed member survey responses.",
}


def definitions() -> dict[str, str]:
    """What each column and metric of the pack's tables means (the workbook's Definitions sheet)."""
    scores = {c: f"{n} key-feature score, 0-100 (docs/methodology.md)." for c, n in feature_names().items()}
    return {**DEFINITIONS, **scores}
