"""`netpulse status`: what the warehouse holds, what was refused and why, the last build."""

from __future__ import annotations

from netpulse.config.settings import Settings
from netpulse.store.warehouse import open_warehouse


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
    lines = [
        f"warehouse: {settings.warehouse}",
        f"networks: {networks}",
        f"deliveries: {by_status.get('loaded', 0)} loaded ({rows_loaded:,} rows), "
        f"{by_status.get('duplicate', 0)} duplicate, {by_status.get('quarantined', 0)} quarantined",
    ]
    if quarantined:
        lines.append("quarantined:")
        lines += [f"  {path}: {error}" for path, error in quarantined]
    if drifts:
        lines.append("schema drift (columns changed; check the export settings):")
        lines += [f"  {path}: {drift}" for path, drift in drifts]
    if duplicates:
        lines.append("duplicates:")
        lines += [f"  {path}: {error}" for path, error in duplicates]
    if last_build is None:
        lines.append("last build: none yet")
    else:
        build_id, status, finished, run_id, methodology, rules, error = last_build
        lines.append(f"last build: {build_id} {status} at {finished:%Y-%m-%d %H:%M:%S} UTC "
                     f"(run {run_id}, methodology {methodology}, {rules})")
        if error:
            lines.append(f"  error: {error}")
    return "\n".join(lines)
