"""`netpulse demo`: a synthetic landing zone run through the real Airflow DAGs."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from netpulse.build.run import latest_periods
from netpulse.config.key_features import active_key_features
from netpulse.config.settings import Settings
from netpulse.demo.data import DEMO_END, DEMO_PROGRAMME, write_demo_landing
from netpulse.orchestration.dag_runs import (
    BUILD_DAG_ID,
    EXTRACT_DAG_ID,
    INGEST_DAG_ID,
    load_dags,
    prepare_airflow,
    run_dag,
)
from netpulse.outputs.extract import COUNT_COLUMNS
from netpulse.outputs.pack.write import write_pack
from netpulse.outputs.status import warehouse_status
from netpulse.store.warehouse import open_warehouse


def run_demo(settings: Settings) -> int:
    """Write the demo landing zone and networks file named in ``settings``, then run the DAGs."""
    _export(settings)
    summary = write_demo_landing(settings.landing, settings.network_config)
    print(f"landing zone: {settings.landing} ({len(summary['files'])} files, "
          f"{len(summary['malformed_files'])} deliberately malformed)")

    home = prepare_airflow(settings)
    log_path = home / "demo-dag-runs.log"
    dags = load_dags(settings)
    as_of = datetime.combine(DEMO_END + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    outcomes = [run_dag(dags, INGEST_DAG_ID, log_path)]
    outcomes.append(run_dag(dags, BUILD_DAG_ID, log_path))
    outcomes.append(run_dag(dags, EXTRACT_DAG_ID, log_path, logical_date=as_of))
    for outcome in outcomes:
        tasks = ", ".join(f"{task} {state}" for task, state in outcome.task_states.items())
        print(f"airflow: {outcome.dag_id}: {outcome.state} ({tasks})")
    if outcomes[0].succeeded_but_quarantined:
        print("airflow: the deliberately malformed files were quarantined (check_quarantined failed, "
              "as it does in production; reasons: netpulse status)")
    if not all(o.succeeded or o.succeeded_but_quarantined for o in outcomes):
        print(f"a DAG run failed; Airflow's log is in {log_path}")
        return 1

    print()
    print(warehouse_status(settings))
    with open_warehouse(settings, read_only=True) as con:
        latest = latest_periods(con, "quarter")
        signs = con.execute(
            "select network_id, period_start, string_agg(warning_sign || ' (' || severity || ')', ', ' "
            "order by warning_sign) from indicators.warning_signs where grain = 'quarter' group by all").fetchall()
    signs = {(network, f"{start:%Y-%m-%d}"): text for network, start, text in signs}
    print()
    print("latest quarter per network:")
    for row in latest.to_dict("records"):
        counts = ", ".join(f"{c.replace('_', ' ')} {row[c]}" for c in COUNT_COLUMNS)
        print(f"- {row['network_id']} (quarter from {row['period_start']:%Y-%m-%d}): {row['stage'].upper()}")
        print(f"    reason: {row['stage_reason']}")
        print(f"    {counts}")
        scores = ", ".join(f"{f.label} {_score(row[f.column])}" for f in active_key_features().features)
        print(f"    key features (0-100, - = no evidence): {scores}")
        key = (row["network_id"], f"{row['period_start']:%Y-%m-%d}")
        print(f"    warning signs: {signs.get(key, 'none')}")
    print()
    print(f"funder extracts: {settings.extracts}/")
    # The quarterly DAG wrote the pack of all networks; the demo's networks form one programme,
    # and its pack (for the latest complete quarter) is the one to open first.
    pack = write_pack(settings, programme=DEMO_PROGRAMME, as_of=as_of.date())
    print(f"funder pack ({len(pack.files)} files, written in {pack.seconds:.1f} s): {pack.folder}/")
    print(f"    open {pack.folder / 'overview.html'} (programme overview), then a network's report beside it")
    print(f"validation results (GX Data Docs): {settings.data_docs / 'index.html'}")
    print(f"warehouse: {settings.warehouse} (tables: docs/analyst-guide.md; Airflow log: {log_path})")
    return 0


def _score(value) -> str:
    return "-" if value is None or value != value else str(round(value))  # NaN: no evidence


def _export(settings: Settings) -> None:
    """Hand the demo's paths to the DAG tasks, which read their settings from the environment."""
    os.environ["NETPULSE_LANDING"] = str(settings.landing.resolve())
    os.environ["NETPULSE_WAREHOUSE"] = str(settings.warehouse.resolve())
    os.environ["NETPULSE_CONFIG"] = str(settings.network_config.resolve())
    os.environ["NETPULSE_HOME"] = str(settings.home.resolve())
    os.environ["NETPULSE_EXTRACTS"] = str(settings.extracts.resolve())
    os.environ["NETPULSE_DATA_DOCS"] = str(settings.data_docs.resolve())
    # Every file is written before the DAGs run: the load need not wait for a delivery to settle.
    os.environ["NETPULSE_WATCH_QUIET_SECONDS"] = "0"
