"""The figures of a funder pack, read from the warehouse as of one build and published at once.

Reading is the only place true counts exist: :func:`read_pack_data` publishes every row
(``disclosure.publish_periods``) before anything else sees it, and every table of the pack
(quarter with previous quarter and a year earlier, eight-quarter trends, programme totals) is
computed from the published values. Figures are those of one build: each network's rows from
the latest build up to it that built the network (``meta.network_builds_as_of``), so a pack
re-created later for the same build has the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from netpulse.config.key_features import feature_columns
from netpulse.errors import NetpulseError
from netpulse.measures.stages import load_rule_sets
from netpulse.measures.warning_signs import load_warning_signs
from netpulse.outputs.disclosure import EVENT_COUNTS, PEOPLE_COUNTS, SCORE_BASE, Suppression, total
from netpulse.outputs.extract import stage_basis
from netpulse.outputs.pack.quarters import add_quarters, latest_complete, parse_quarter, quarter_label, quarter_months

COUNTS = (*PEOPLE_COUNTS[:3], "meetings_held", "attendances", "forum_posts", "forum_replies", "survey_responses")


def metrics() -> tuple[str, ...]:
    """The figures a pack publishes: the counts, then the key-feature scores."""
    return (*COUNTS, *feature_columns())


TREND_QUARTERS = 8
# Stages from lowest to highest, and the stage a network moves to next (what would move it).
NEXT_STAGE = {"dormant": "emerging", "pre-emergent": "emerging", "emerging": "established"}


class NoFiguresForQuarter(NetpulseError):
    """No network of the pack has figures for the quarter asked for (nothing delivered for it)."""


@dataclass
class PackData:
    build: dict
    networks: pd.DataFrame          # network_id, name, type, programme, quarter_start_month
    selected: dict[str, date]       # network_id -> start of its quarter in the pack
    periods: pd.DataFrame           # every quarter of the selected networks, published
    warnings: pd.DataFrame          # warning signs of those quarters (no evidence text: it quotes counts)
    coverage: pd.DataFrame          # per network and source: deliveries loaded, duplicate, quarantined
    deliveries: pd.DataFrame        # the loaded deliveries the figures rest on, with their hashes
    validation: dict                # the build's indicator validation: expectations passed / evaluated
    rule: Suppression
    stage_next: dict = field(default_factory=dict)  # network_id -> what would move it (current quarter)


def publish_periods(periods: pd.DataFrame, rule: Suppression) -> pd.DataFrame:
    """Indicator rows as a funder may see them: counts published, scores of small bases hidden.

    Columns other than the counts, scores and identifiers (stage_reason quotes the period's own
    counts; guest and unmatched counts are operational) are dropped.
    """
    published = periods[["network_id", "period_start", "stage", "evidence_stage", "stage_rules_version",
                         "methodology_version", "key_features_version", "build_id"]].copy()
    for column in (*PEOPLE_COUNTS, *EVENT_COUNTS):
        published[column] = pd.array([rule.count(column, v) for v in periods[column]], dtype="Int64")
    for column in feature_columns():
        bases = periods[SCORE_BASE]
        published[column] = pd.array([rule.score(v, b) for v, b in zip(periods[column], bases, strict=True)],
                                     dtype="Float64")
    return published.sort_values(["network_id", "period_start"], ignore_index=True)


def _index(frame: pd.DataFrame) -> dict:
    """Rows by (network_id, period_start) for lookups; NA as None."""
    index = {}
    for record in frame.to_dict("records"):
        clean = {k: (None if v is pd.NA or (isinstance(v, float) and v != v) else v) for k, v in record.items()}
        index[(clean["network_id"], pd.Timestamp(clean["period_start"]))] = clean
    return index


def _value(frame, network_id: str, start: date, column: str):
    rows = frame if isinstance(frame, dict) else _index(frame)
    row = rows.get((network_id, pd.Timestamp(start)))
    return None if row is None else row.get(column)


def quarter_table(periods: pd.DataFrame, selected: dict[str, date]) -> pd.DataFrame:
    """One row per network and metric: the quarter, the previous quarter, a year earlier, changes.

    Every number is a published value or a difference of published values; a change is blank
    when either side is hidden or has no evidence.
    """
    rows = []
    index = _index(periods)
    for network_id, start in sorted(selected.items()):
        previous, year_ago = add_quarters(start, -1), add_quarters(start, -4)
        for metric in metrics():
            now = _value(index, network_id, start, metric)
            before = _value(index, network_id, previous, metric)
            last_year = _value(index, network_id, year_ago, metric)
            rows.append({
                "network_id": network_id, "quarter_start": start, "metric": metric,
                "kind": "score" if metric in feature_columns() else
                        ("event count" if metric in EVENT_COUNTS else "people count"),
                "value": now, "previous_quarter": before, "change_on_previous": _diff(now, before),
                "year_earlier": last_year, "change_on_year_earlier": _diff(now, last_year),
            })
    frame = pd.DataFrame(rows, columns=["network_id", "quarter_start", "metric", "kind", "value", "previous_quarter",
                                        "change_on_previous", "year_earlier", "change_on_year_earlier"])
    for column in ("value", "previous_quarter", "change_on_previous", "year_earlier", "change_on_year_earlier"):
        frame[column] = pd.array([None if v is None else float(v) for v in frame[column]], dtype="Float64")
    return frame


def _diff(a, b):
    return None if a is None or b is None else float(a) - float(b)


def trend_table(periods: pd.DataFrame, selected: dict[str, date], quarters: int = TREND_QUARTERS) -> pd.DataFrame:
    """The last ``quarters`` quarters up to each network's selected one, published values."""
    parts = []
    for network_id, start in sorted(selected.items()):
        first = pd.Timestamp(add_quarters(start, -(quarters - 1)))
        mine = periods[(periods["network_id"] == network_id) & (periods["period_start"] >= first)
                       & (periods["period_start"] <= pd.Timestamp(start))]
        parts.append(mine)
    columns = ["network_id", "period_start", "stage", *metrics()]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def programme_totals(periods: pd.DataFrame, selected: dict[str, date]) -> pd.DataFrame:
    """Totals of the counts over the selected networks' quarters: sums of the published values.

    ``*_includes_hidden`` says a hidden cell was left out (the total is then a lower bound).
    """
    record = {"networks": len(selected)}
    index = _index(periods)
    for column in COUNTS:
        values = [_value(index, n, s, column) for n, s in sorted(selected.items())]
        present = [None if v is None else int(v) for v in values]
        # A network with no row is absent, not hidden: only published-hidden cells are flagged.
        hidden_flags = [v is None and (n, pd.Timestamp(s)) in index
                        for v, (n, s) in zip(values, sorted(selected.items()), strict=True)]
        value, _ = total(present)
        record[column] = value
        record[f"{column}_excludes_hidden"] = any(hidden_flags)
    return pd.DataFrame([record])


# ---- reading the warehouse -------------------------------------------------------------------

def resolve_build(con, build_id: str | None) -> dict:
    """The build the pack is "as of": ``build_id``, or the latest successful build."""
    row = con.execute(
        "select build_id, methodology_version, stage_rules_version, key_features_version, warning_signs_version, "
        "last_delivery_id, started_at from meta.builds where status = 'succeeded' and (? is null or build_id = ?) "
        "order by started_at desc limit 1", [build_id, build_id]).fetchone()
    if row is None:
        raise NetpulseError(f"no successful build {build_id!r}: `netpulse status` shows the last build"
                            if build_id else "no successful build yet: run `netpulse build` first")
    keys = ("build_id", "methodology_version", "stage_rules_version", "key_features_version",
            "warning_signs_version", "last_delivery_id", "started_at")
    build = dict(zip(keys, row, strict=True))
    build["started_at"] = f"{build['started_at']:%Y-%m-%dT%H:%M:%S}"
    return build


def select_networks(con, network_ids: list[str] | None, programme: str | None) -> pd.DataFrame:
    networks = con.execute(
        "select network_id, name, type, coalesce(programme, '') as programme, quarter_start_month "
        "from meta.networks order by network_id").df()
    if network_ids:
        unknown = sorted(set(network_ids) - set(networks["network_id"]))
        if unknown:
            raise NetpulseError(f"unknown network(s): {', '.join(unknown)}")
        networks = networks[networks["network_id"].isin(network_ids)]
    if programme:
        networks = networks[networks["programme"] == programme]
        if networks.empty:
            raise NetpulseError(f"no network in programme {programme!r} (the networks file's `programme`)")
    if networks.empty:
        raise NetpulseError("no networks to report on")
    return networks.reset_index(drop=True)


def choose_quarters(networks: pd.DataFrame, quarter: str | None, as_of: date | None) -> dict[str, date]:
    """Each network's quarter: ``quarter`` in its own calendar, or its latest complete one."""
    chosen = {}
    for row in networks.itertuples():
        if quarter:
            chosen[row.network_id] = parse_quarter(quarter, int(row.quarter_start_month))
        else:
            chosen[row.network_id] = latest_complete(as_of or date.today(), int(row.quarter_start_month))
    return chosen


def read_pack_data(con, *, rule: Suppression, network_ids: list[str] | None = None, programme: str | None = None,
                   quarter: str | None = None, as_of: date | None = None, build_id: str | None = None) -> PackData:
    build = resolve_build(con, build_id)
    networks = select_networks(con, network_ids, programme)
    selected = choose_quarters(networks, quarter, as_of)
    ids = list(networks["network_id"])
    as_of_build = "(network_id, build_id) in (select (network_id, build_id) from meta.network_builds_as_of(?))"
    raw = con.execute(
        f"select * from indicators.network_period_history where grain = 'quarter' "
        f"and network_id in (select unnest(?::varchar[])) and {as_of_build} order by network_id, period_start",
        [ids, build["build_id"]]).df()
    missing = [n for n, s in selected.items() if raw[(raw["network_id"] == n)
                                                   & (raw["period_start"] == pd.Timestamp(s))].empty]
    if len(missing) == len(selected):
        labels = ", ".join(f"{n} {quarter_months(s)}" for n, s in sorted(selected.items()))
        raise NoFiguresForQuarter(f"no figures for the quarter asked for in build {build['build_id']} ({labels})")
    periods = publish_periods(raw, rule)
    # The periods table covers each network's selected quarter and earlier only: later quarters
    # are not part of "as at this quarter", and a pack for a past quarter must not depend on them.
    keep = pd.Series(False, index=periods.index)
    for network_id, start in selected.items():
        keep |= (periods["network_id"] == network_id) & (periods["period_start"] <= pd.Timestamp(start))
    periods = periods[keep].reset_index(drop=True)
    warnings = _read_warnings(con, ids, build["build_id"], selected)
    coverage, deliveries = _read_deliveries(con, ids, build)
    validation = _read_validation(con, build["build_id"])
    data = PackData(build=build, networks=networks, selected=selected, periods=periods, warnings=warnings,
                    coverage=coverage, deliveries=deliveries, validation=validation, rule=rule)
    data.stage_next = _stage_next(con, data, build["build_id"])
    return data


def _read_warnings(con, ids: list[str], build_id: str, selected: dict[str, date]) -> pd.DataFrame:
    titles = {sign.id: sign.title for sign in load_warning_signs().signs}
    rows = con.execute(
        "select network_id, period_start, warning_sign, severity, periods_held, held_since "
        "from indicators.warning_signs_history where grain = 'quarter' and network_id in (select unnest(?::varchar[])) "
        "and (network_id, build_id) in (select (network_id, build_id) from meta.network_builds_as_of(?)) "
        "order by network_id, period_start, warning_sign", [ids, build_id]).df()
    keep = pd.Series(False, index=rows.index)
    for network_id, start in selected.items():
        keep |= (rows["network_id"] == network_id) & (rows["period_start"] <= pd.Timestamp(start))
    rows = rows[keep].reset_index(drop=True)
    rows.insert(3, "title", [titles.get(s, s.replace("_", " ")) for s in rows["warning_sign"]])
    return rows


def _read_deliveries(con, ids: list[str], build: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deliveries received up to the build: per source, how many loaded, duplicate, quarantined."""
    # The build records the last delivery it included; delivery ids only grow.
    received = "network_id in (select unnest(?::varchar[])) and (? is null or delivery_id <= ?)"
    params = [ids, build["last_delivery_id"], build["last_delivery_id"]]
    coverage = con.execute(
        "select network_id, source, count(*) filter (where status = 'loaded') as deliveries_loaded, "
        "count(*) filter (where status = 'duplicate') as deliveries_duplicate, "
        "count(*) filter (where status = 'quarantined') as deliveries_quarantined, "
        "strftime(max(received_at)::date, '%Y-%m-%d') as last_received "
        f"from meta.deliveries where {received} group by all order by network_id, source", params).df()
    deliveries = con.execute(
        # By id and hash: a file's name can name a person ("jane-doe-1-1.csv").
        "select network_id, source, delivery_id, sha256, size_bytes "
        f"from meta.deliveries where status = 'loaded' and {received} order by delivery_id", params).df()
    return coverage, deliveries


def _read_validation(con, build_id: str) -> dict:
    passed, evaluated = con.execute(
        "select count(*) filter (where success), count(*) from meta.validation_results where build_id = ?",
        [build_id]).fetchone()
    return {"expectations_passed": int(passed), "expectations_evaluated": int(evaluated),
            "status": "passed" if evaluated and passed == evaluated else ("not validated" if not evaluated
                                                                          else "failed")}


def _stage_next(con, data: PackData, build_id: str) -> dict:
    """What would move each network's stage in its quarter, in words (thresholds, never its counts)."""
    rule_sets = load_rule_sets()
    # `next_stage_basis` (thresholds and ✓/✗ only; `next_stage_needs` quotes exact counts of people,
    # which funders must not see); a build from before that column gives the next stage's rule.
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'indicators' "
        "and table_name = 'network_stages_history'").fetchall()}
    from_column = {}
    if "next_stage_basis" in columns:
        for network_id, start, text in con.execute(
                "select network_id, period_start, next_stage_basis from indicators.network_stages_history "
                "where grain = 'quarter' and is_current_rules and (network_id, build_id) in "
                "(select (network_id, build_id) from meta.network_builds_as_of(?))", [build_id]).fetchall():
            from_column[(network_id, start)] = text
    out = {}
    for network_id, start in data.selected.items():
        stage = _value(data.periods, network_id, start, "stage")
        version = _value(data.periods, network_id, start, "stage_rules_version")
        if stage is None:
            continue
        text = from_column.get((network_id, start))
        if not text:
            target = NEXT_STAGE.get(stage)
            text = (f"to be {target}: {stage_basis(target, 'quarter', None, version, rule_sets)}" if target
                    else "the highest stage: it stays while the evidence holds")
        out[network_id] = {"stage": stage, "basis": stage_basis(stage, "quarter", None, version, rule_sets),
                           "next": text, "label": quarter_label(start, int(
                               data.networks.set_index("network_id").loc[network_id, "quarter_start_month"]))}
    return out
