"""Benchmark: full, incremental and nothing-new builds on the shape real users have.

Writes (or reuses) a landing zone of many networks with small monthly files over five years
(bench/landing_shape.py), loads it, then times:
  1. a full build;
  2. a run with nothing new (load + build: the build finds every network unchanged);
  3. a run after one new small file for one network (an incremental build of that network).
Prints each with the models that took longest.

    python bench/bench_build.py --networks 200 --events 1000000 --workdir var/bench-build
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.landing_shape import write_landing, write_new_file


def settings_for(workdir: Path):
    from netpulse.config.settings import Settings

    return dataclasses.replace(
        Settings.from_env(), landing=workdir / "landing", warehouse=workdir / "bench.duckdb",
        data_docs=workdir / "data_docs", network_config=None, hash_key="benchmark-key",
    )


def timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    print(f"{label:<34} {time.perf_counter() - started:8.2f} s   {getattr(result, 'summary', lambda: '')()}")
    return result


def slowest(report, count: int = 8) -> None:
    for name, seconds in sorted(report.model_seconds.items(), key=lambda item: -item[1])[:count]:
        print(f"    {seconds:7.2f} s  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", type=int, default=200)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench-build"))
    parser.add_argument("--fresh", action="store_true", help="write the landing zone again")
    args = parser.parse_args(argv)

    from netpulse.build.run import build
    from netpulse.ingest.loading import ingest

    settings = settings_for(args.workdir)
    if args.fresh or not settings.landing.exists():
        shutil.rmtree(args.workdir, ignore_errors=True)
        timed("write landing zone", write_landing, settings.landing, args.networks, args.events)
    else:
        settings.warehouse.unlink(missing_ok=True)
        for path in settings.landing.glob("*/attendance/late-meeting-*.csv"):
            path.unlink()
    timed("load", ingest, settings)
    slowest(timed("full build", build, settings, full=True))
    started = time.perf_counter()
    timed("  run, nothing new: load", ingest, settings)
    timed("  run, nothing new: build", build, settings)
    print(f"{'run with nothing new':<34} {time.perf_counter() - started:8.2f} s")
    write_new_file(settings.landing, "bench")
    started = time.perf_counter()
    timed("  run, one new file: load", ingest, settings)
    report = timed("  run, one new file: build", build, settings)
    print(f"{'run with one new file':<34} {time.perf_counter() - started:8.2f} s")
    slowest(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
