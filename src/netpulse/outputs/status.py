"""`netpulse status`: what the warehouse holds, what was refused and why, the last build, each
network's stage (with what the stage up still needs), and survey instruments with no definition."""

from __future__ import annotations

import duckdb

from netpulse.config.instruments import instrument_hint, instrument_paths, load_instrument
from netpulse.config.settings import Settings
from netpulse.safe_text import terminal_value
from netpulse.store.warehouse import open_warehouse


def unmapped_instruments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Instruments of loaded survey responses that no instrument file defines, in words.

    Their answers load (the generic format keeps any item column), but no item is mapped to a
    key feature, so they give no survey evidence until a definition is added.
    """
    known = {load_instrument(path).id for path in instrument_paths().values()}
    rows = con.execute(
        """
        select responses.instrument, count(distinct answers.item) as items, count(distinct responses.response_id),
        from raw.survey_responses as responses
        inner join meta.deliveries as deliveries using (delivery_id)
        left join raw.survey_answers as answers
            on answers.delivery_id = responses.delivery_id and answers.response_id = responses.response_id
        where deliveries.status = 'loaded'
        group by all
        order by responses.instrument
        """).fetchall()
    return [f"instrument {instrument}: {items} item{'' if items == 1 else 's'} ({responses} responses), not mapped "
            f"to key features; {instrument_hint(instrument)}"
            for instrument, items, responses in rows if instrument not in known]


def _stages(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Each network's latest quarter under the current stage rules: stage, why, and what the stage up needs."""
    exists = con.execute("select count(*) from information_schema.columns where table_schema = 'indicators' "
                         "and table_name = 'network_stages' and column_name = 'next_stage_needs'").fetchone()[0]
    if not exists:
        return []
    rows = con.execute(
        """
        with latest as (
            select * from indicators.network_stages
            where is_current_rules and grain = 'quarter'
            qualify period_start = max(period_start) over (partition by network_id)
        ),

        signs as (
            select network_id, grain, period_start,
                string_agg(warning_sign || ' (' || severity || ')', ', ' order by warning_sign) as signs,
            from indicators.warning_signs
            group by all
        )

        select latest.network_id, latest.period_start, latest.stage, latest.stage_rules_version,
            latest.stage_reason, latest.next_stage_needs, coalesce(signs.signs, ''),
        from latest
        left join signs using (network_id, grain, period_start)
        order by latest.network_id
        """).fetchall()
    if not rows:
        return []
    lines = [f"stages (latest quarter, {rows[0][3]}):"]
    for network_id, period_start, stage, _, reason, needs, signs in rows:
        lines.append(f"  {network_id} {period_start:%Y-%m-%d}: {stage}")
        lines.append(f"    why: {reason}")
        lines.append(f"    next: {needs}")
        if signs:
            lines.append(f"    warning signs: {signs}")
    return lines


def warehouse_status(settings: Settings) -> str:
    with open_warehouse(settings, read_only=True) as con:
        by_status = dict(con.execute(
            "select status, count(*) from meta.deliveries group by status").fetchall())
        rows_loaded = con.execute(
            "select coalesce(sum(rows_loaded), 0) from meta.deliveries where status = 'loaded'").fetchone()[0]
        quarantined = con.execute(
            "select path, error from meta.deliveries where status = 'quarantined' order by delivery_id").fetchall()
        drifts = con.execute(
            "select path, schema_drift from meta.deliveries where schema_drift is not null order by delivery_id"
        ).fetchall()
        duplicates = con.execute(
            "select path, error from meta.deliveries where status = 'duplicate' order by delivery_id").fetchall()
        last_build = con.execute(
            "select build_id, status, finished_at, run_id, methodology_version, "
            "concat_ws(', ', stage_rules_version, key_features_version, warning_signs_version), error "
            "from meta.builds order by finished_at desc limit 1").fetchone()
        networks = con.execute("select count(*) from meta.networks").fetchone()[0]
        unmapped = unmapped_instruments(con)
        stages = _stages(con)
    lines = [
        f"warehouse: {settings.warehouse}",
        f"networks: {networks}",
        f"deliveries: {by_status.get('loaded', 0)} loaded ({rows_loaded:,} rows), "
        f"{by_status.get('duplicate', 0)} duplicate, {by_status.get('quarantined', 0)} quarantined",
    ]
    if quarantined:
        lines.append("quarantined:")
        # File names and reasons come from the files: one line each, no control characters.
        lines += [f"  {terminal_value(path)}: {terminal_value(error)}" for path, error in quarantined]
    if drifts:
        lines.append("schema drift (columns changed; check the export settings):")
        lines += [f"  {terminal_value(path)}: {terminal_value(drift)}" for path, drift in drifts]
    if duplicates:
        lines.append("duplicates:")
        lines += [f"  {terminal_value(path)}: {terminal_value(error)}" for path, error in duplicates]
    if last_build is None:
        lines.append("last build: none yet")
    else:
        build_id, status, finished, run_id, methodology, rules, error = last_build
        lines.append(f"last build: {build_id} {status} at {finished:%Y-%m-%d %H:%M:%S} UTC "
                     f"(run {run_id}, methodology {methodology}, {rules})")
        if error:
            lines.append(f"  error: {terminal_value(error)}")
    if unmapped:
        lines.append("survey instruments with no definition (no survey evidence from them):")
        lines += [f"  {line}" for line in unmapped]
    lines += stages
    return "\n".join(lines)
