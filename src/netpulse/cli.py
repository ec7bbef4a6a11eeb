"""The ``netpulse`` command line: demo, demo-landing, run, pull, status, identities, erase, extract,
calibrate, override-stage, pack, sql, dictionary."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from datetime import date
from pathlib import Path

from netpulse.config.pulling import APIS
from netpulse.config.settings import DEMO_HASH_KEY, Settings, restrict_new_files
from netpulse.errors import NetpulseError
from netpulse.safe_text import terminal_text, terminal_value

log = logging.getLogger("netpulse")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        landing=getattr(args, "landing", None),
        warehouse=getattr(args, "warehouse", None),
        network_config=getattr(args, "config", None),
    )


def cmd_run(args: argparse.Namespace) -> int:
    from netpulse.build.run import build
    from netpulse.ingest.loading import ingest

    settings = _settings(args)
    if not settings.landing.is_dir():
        raise NetpulseError(f"landing zone {settings.landing} is not a directory")
    report = ingest(settings, network_ids=tuple(args.network) if args.network else None,
                    retry_quarantined=args.retry_quarantined)
    _say(f"deliveries: {report.summary()}")
    for outcome in report.outcomes:
        if outcome.status == "quarantined":
            _say(f"  quarantined {outcome.path}: {outcome.error}")
    result = build(settings, run_id=report.run_id)
    _say(result.summary())
    _say_unmapped_instruments(settings)
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    """Pull what is new from the configured APIs into the landing zone (no warehouse lock taken)."""
    from netpulse.pull.run import pull

    settings = _settings(args)
    outcomes = pull(settings, network_ids=tuple(args.network) if args.network else None,
                    apis=tuple(args.source) if args.source else None)
    if not outcomes:
        _say("nothing to pull: no network of the networks file has a pull section for that")
    for outcome in outcomes:
        _say(outcome.summary())
        for path in outcome.files:
            _say(f"  landed {path}")
    if any(o.status in ("landed", "stopped at the bound") for o in outcomes):
        _say("the landing zone's watcher (or `netpulse run`) loads what landed")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def _say_unmapped_instruments(settings: Settings) -> None:
    """Survey answers that loaded but give no evidence: say so where the person running it looks."""
    from netpulse.outputs.status import unmapped_instruments
    from netpulse.store.warehouse import open_warehouse

    with open_warehouse(settings, read_only=True) as con:
        for line in unmapped_instruments(con):
            _say(f"survey: {line}")


def cmd_override_stage(args: argparse.Namespace) -> int:
    from netpulse.measures.stage_overrides import StageOverride, add_override
    from netpulse.measures.stages import load_rule_sets

    stages = tuple(dict.fromkeys(stage for rules in load_rule_sets() for stage in rules.stage_order))
    try:
        date.fromisoformat(args.start), args.end and date.fromisoformat(args.end)
    except ValueError as exc:
        raise NetpulseError(f"--from and --to are dates like 2026-04-01: {exc}") from None
    override = StageOverride(
        network=args.network, grain=args.grain, start=date.fromisoformat(args.start),
        end=date.fromisoformat(args.end) if args.end else None, stage=args.stage,
        by=args.by or os.environ.get("USER", ""), on=date.today(), reason=args.reason)
    path = add_override(override, stages=stages)
    _say(f"{path}: {override.network} {override.grain}s from {override.start}"
          f"{f' to {override.end}' if override.end else ''} set to {override.stage} ({override.words()}); "
          "the next `netpulse run` applies it")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from netpulse.outputs.calibration import calibrate

    _say(calibrate(_settings(args), grain=args.grain, network=args.network, candidate=args.rules,
                    landing=args.landing))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from netpulse.outputs.status import warehouse_status

    _say(warehouse_status(_settings(args)))
    return 0


def cmd_identities(args: argparse.Namespace) -> int:
    from netpulse.admin.identities import decide, format_queue, review_queue

    settings = _settings(args)
    if args.action == "list":
        _say(format_queue(review_queue(settings, args.network)))
        return 0
    if not args.proposal:
        raise NetpulseError(f"identities {args.action} needs a proposal id (see `netpulse identities`)")
    decision = "accepted" if args.action == "accept" else "rejected"
    row = decide(settings, args.proposal, decision, args.by)
    _say(f"{decision}: {row['source_system']} {row['shown_name']!r} is "
          f"{'' if decision == 'accepted' else 'not '}roster member {row['roster_name']!r} "
          f"({row['network_id']}); the next build (netpulse run) restates every period")
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from netpulse.admin.erasure import erase_member
    from netpulse.build.run import build

    settings = _settings(args)
    report = erase_member(settings, args.network, args.email, requested_by=args.by or os.environ.get("USER"))
    _say(report.summary())
    result = build(settings, run_id=f"erasure__{date.today():%Y%m%d}")
    _say(f"{result.summary()}: every derived table restated without them")
    _say("the landing zone still holds the member's rows in the files delivered; a file delivered again "
          "is loaded without them, but delete or redact the originals where your retention rules require it")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from netpulse.outputs.extract import write_quarter_extracts

    settings = _settings(args)
    as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    for path in write_quarter_extracts(settings, as_of=as_of, build_id=args.build):
        _say(path)
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from netpulse.outputs.analyst_sql import open_snapshot, run_query, shell

    with open_snapshot(_settings(args)) as con:
        if args.query:
            run_query(con, args.query, args.format, args.out)
        elif sys.stdin.isatty():
            shell(con, args.format)
        else:
            run_query(con, sys.stdin.read(), args.format, args.out)
    return 0


def cmd_dictionary(args: argparse.Namespace) -> int:
    from netpulse.outputs.analyst_sql import data_dictionary, open_snapshot

    with open_snapshot(_settings(args)) as con:
        text = data_dictionary(con)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        _say(args.out)
    else:
        sys.stdout.write(text)
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    from netpulse.outputs.pack.write import write_pack

    settings = _settings(args)
    as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    result = write_pack(settings, quarter=args.quarter, networks=args.network, programme=args.programme,
                        build_id=args.build, out=args.out, as_of=as_of)
    _say(f"funder pack: {result.folder} ({len(result.files)} files, {result.seconds:.1f} s); "
          f"open {result.folder / 'overview.html'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from netpulse.demo.run import run_demo

    if not os.environ.get("NETPULSE_HASH_KEY"):
        os.environ["NETPULSE_HASH_KEY"] = DEMO_HASH_KEY
        _say("note: NETPULSE_HASH_KEY is not set; the demo uses a development key. "
              "Never use it for real member data.")
    settings = _settings(args)
    demo_home = settings.home / "demo"
    settings = dataclasses.replace(
        settings,
        landing=args.landing or demo_home / "landing",
        network_config=args.config or demo_home / "networks.yaml",
    )
    return run_demo(settings)


def cmd_demo_landing(args: argparse.Namespace) -> int:
    """Only write the demo's landing zone and networks file (for a scheduler to pick up)."""
    from netpulse.demo.data import write_demo_landing

    settings = _settings(args)
    config = args.config or settings.network_config or settings.home / "demo" / "networks.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    summary = write_demo_landing(args.directory, config)
    _say(f"landing zone: {args.directory} ({len(summary['files'])} files, "
          f"{len(summary['malformed_files'])} deliberately malformed)")
    _say(f"networks file: {config} (the workers need NETPULSE_CONFIG={config.resolve()})")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="netpulse", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, landing: bool = False) -> None:
        p.add_argument("--warehouse", type=Path, help="DuckDB file (default: $NETPULSE_WAREHOUSE "
                       "or warehouse/netpulse.duckdb)")
        p.add_argument("--config", type=Path, help="networks YAML (default: $NETPULSE_CONFIG)")
        if landing:
            p.add_argument("--landing", type=Path, help="landing zone (default: $NETPULSE_LANDING)")

    demo = sub.add_parser("demo", help="write a synthetic landing zone and run it through the Airflow DAGs")
    common(demo, landing=True)
    demo.set_defaults(func=cmd_demo)

    demo_landing = sub.add_parser("demo-landing", help="only write the demo landing zone (and its networks "
                                  "file) into DIRECTORY, e.g. the landing zone a scheduler watches")
    demo_landing.add_argument("directory", type=Path)
    demo_landing.add_argument("--config", type=Path, help="where the networks YAML goes (default: "
                              "$NETPULSE_CONFIG or $NETPULSE_HOME/demo/networks.yaml)")
    demo_landing.set_defaults(func=cmd_demo_landing)

    run = sub.add_parser("run", help="load whatever is new in the landing zone, validate, build")
    common(run, landing=True)
    run.add_argument("--network", action="append", help="only this network (repeatable)")
    run.add_argument("--retry-quarantined", action="store_true",
                     help="read quarantined files again (after fixing the configuration that refused them)")
    run.set_defaults(func=cmd_run)

    pull_cmd = sub.add_parser("pull", help="fetch what is new from the vendors' APIs (the networks file's pull "
                              "sections) into the landing zone; credentials are Airflow connections")
    common(pull_cmd, landing=True)
    pull_cmd.add_argument("--network", action="append", help="only this network (repeatable)")
    pull_cmd.add_argument("--source", action="append", choices=APIS, help="only this API (repeatable)")
    pull_cmd.set_defaults(func=cmd_pull)

    status = sub.add_parser("status", help="deliveries loaded, duplicates, quarantined, last build")
    common(status)
    status.set_defaults(func=cmd_status)

    identities = sub.add_parser("identities", help="review proposed identity matches: list, accept, reject")
    common(identities)
    identities.add_argument("action", nargs="?", choices=("list", "accept", "reject"), default="list")
    identities.add_argument("proposal", nargs="?", help="proposal id, for accept and reject")
    identities.add_argument("--network", help="only this network (list)")
    identities.add_argument("--by", help="who decided (default: $USER)")
    identities.set_defaults(func=cmd_identities)

    erase = sub.add_parser("erase", help="remove one member from a network's data and every derived table")
    common(erase)
    erase.add_argument("--network", required=True, help="the network the member is erased from")
    erase.add_argument("--email", required=True, help="an e-mail address of the member (any of theirs)")
    erase.add_argument("--by", help="who requested or approved it (default: $USER)")
    erase.set_defaults(func=cmd_erase)

    extract = sub.add_parser("extract", help="write each network's latest complete quarter as CSV")
    common(extract)
    extract.add_argument("--as-of", help="date (YYYY-MM-DD); quarters ending before it (default today)")
    extract.add_argument("--build", help="reproduce the figures an earlier build published (its build id)")
    extract.set_defaults(func=cmd_extract)

    sql = sub.add_parser("sql", help="query the analysts' snapshot (read-only; works while loads run)")
    common(sql)
    sql.add_argument("query", nargs="?", help="one SQL statement; none: an interactive prompt (or read stdin)")
    sql.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    sql.add_argument("--out", type=Path, help="write the result to this file (required for parquet)")
    sql.set_defaults(func=cmd_sql)

    dictionary = sub.add_parser("dictionary", help="write the data dictionary of the analysts' snapshot (Markdown)")
    common(dictionary)
    dictionary.add_argument("--out", type=Path, help="file to write (default: print it)")
    dictionary.set_defaults(func=cmd_dictionary)

    calibrate = sub.add_parser("calibrate", help="each network's stage over time under every stage-rules "
                               "version side by side, with the values the rules read")
    common(calibrate)
    calibrate.add_argument("--landing", type=Path, help="build this landing zone into a temporary warehouse "
                           "and calibrate it (default: the configured warehouse, as built)")
    calibrate.add_argument("--grain", choices=("quarter", "month"), default="quarter")
    calibrate.add_argument("--network", help="only this network")
    calibrate.add_argument("--rules", type=Path, help="a candidate stage-rules file, not yet adopted, shown "
                           "beside the adopted versions")
    calibrate.set_defaults(func=cmd_calibrate)

    override = sub.add_parser("override-stage", help="set a network's stage by hand for some periods, with who "
                              "and why (kept in <NETPULSE_CONFIG_DIR>/stage_overrides.yaml)")
    override.add_argument("--network", required=True)
    override.add_argument("--grain", choices=("quarter", "month"), default="quarter")
    override.add_argument("--from", dest="start", required=True, help="first period covered (YYYY-MM-DD)")
    override.add_argument("--to", dest="end", help="last day covered (default: open-ended)")
    override.add_argument("--stage", required=True)
    override.add_argument("--reason", required=True, help="why the team knows better than the traces")
    override.add_argument("--by", help="who decided (default: $USER)")
    override.set_defaults(func=cmd_override_stage)

    pack = sub.add_parser("pack", help="write the funders' quarterly pack: report (HTML, PDF), overview, XLSX, "
                                       "CSV, Parquet, manifest")
    common(pack)
    pack.add_argument("--quarter", help="e.g. 2026Q3, in each network's own quarter calendar "
                                        "(default: each network's latest complete quarter)")
    scope = pack.add_mutually_exclusive_group()
    scope.add_argument("--network", action="append", help="only this network (repeatable)")
    scope.add_argument("--programme", help="the networks of this programme (the networks file's `programme`)")
    pack.add_argument("--build", help="the figures of an earlier build (its build id); default the latest")
    pack.add_argument("--as-of", help="date (YYYY-MM-DD) for the default quarter (default today)")
    pack.add_argument("--out", type=Path, help="folder for the pack (default: $NETPULSE_HOME/packs)")
    pack.set_defaults(func=cmd_pack)
    return top


def _say(*values, **kwargs) -> None:
    """print, with control characters shown as ``?``: what the CLI prints quotes file names,
    reasons and cell values, and an escape sequence in one must not drive the terminal."""
    print(*(terminal_text(v) for v in values), **kwargs)


class _TerminalFormatter(logging.Formatter):
    """Log lines quote file names and cell values: their control characters must not reach the
    terminal (an escape sequence in a file name would clear the screen or forge a line)."""

    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.args, tuple) and record.args:
            # A value (a file name) cannot break its line and print one that looks like netpulse's.
            record = logging.makeLogRecord({**record.__dict__, "args": tuple(
                terminal_value(a) if isinstance(a, str | os.PathLike) else a for a in record.args)})
        return terminal_text(super().format(record))


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(_TerminalFormatter("netpulse: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    # Off a terminal (cron, CI, a pipe) progress is one log line per step: keep those visible.
    logging.getLogger("netpulse.progress").setLevel(logging.INFO)
    args = parser().parse_args(argv)
    try:
        restrict_new_files()
        return args.func(args)
    except NetpulseError as exc:
        _say(f"netpulse: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _say("netpulse: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
