"""Benchmark: N engagement events end to end, against DuckDB's own time to read the same files.

Writes a synthetic landing zone (one network, attendance and forum deliveries of at most
500,000 rows each), then times:
  1. DuckDB alone reading every file into a table (the baseline: read_csv, all columns);
  2. netpulse ingest (read, type, hash, validate with GX, load: one transaction per file);
  3. netpulse build (every SQL model, the stage classifier, indicator validation).
Prints the figures and the ratio of netpulse's end-to-end time to the baseline.

    python bench/bench_pipeline.py --events 1000000 --members 5000 --years 5
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

FILE_ROWS = 500_000


def write_landing(landing: Path, events: int, members: int, years: int, seed: int = 1) -> list[Path]:
    rng = np.random.default_rng(seed)
    emails = np.array([f"member{i:06d}@trust{i % 40:02d}.example" for i in range(members)])
    start = pd.Timestamp("2021-01-04 10:00")
    days = years * 365
    attendance_rows = events // 2
    forum_rows = events - attendance_rows
    files = []

    # Attendance: weekly meetings, each row a member's join segment.
    meetings = max(1, days // 7)
    meeting = np.sort(rng.integers(0, meetings, attendance_rows))
    meeting_start = start + pd.to_timedelta(meeting * 7, unit="D")
    joined = meeting_start + pd.to_timedelta(rng.integers(0, 20, attendance_rows), unit="m")
    attendance = pd.DataFrame({
        "meeting_id": np.char.add("m", meeting.astype(str)),
        "meeting_title": "Weekly huddle",
        "meeting_start": meeting_start.strftime("%Y-%m-%dT%H:%M:%S"),
        "meeting_end": (meeting_start + pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        "email": emails[rng.integers(0, members, attendance_rows)],
        "name": "Member",
        "joined_at": joined.strftime("%Y-%m-%dT%H:%M:%S"),
        "left_at": (joined + pd.Timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%S"),
        "role": "",
        "status": "",
    })
    files += _write_chunks(attendance, landing / "bench" / "attendance", "attendance")

    # Forum: every tenth post opens a topic; the rest reply to the post before them.
    post = np.arange(forum_rows)
    created = start + pd.to_timedelta(np.sort(rng.integers(0, days * 24 * 60, forum_rows)), unit="m")
    is_topic = post % 10 == 0
    topic = post - post % 10
    forum = pd.DataFrame({
        "post_id": np.char.add("p", post.astype(str)),
        "topic_id": np.char.add("p", topic.astype(str)),
        "reply_to_post_id": np.where(is_topic, "", np.char.add("p", np.maximum(post - 1, 0).astype(str))),
        "email": emails[rng.integers(0, members, forum_rows)],
        "name": "Member",
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S"),
        "kind": np.where(is_topic, "topic", np.where(post % 3 == 0, "reaction", "reply")),
    })
    files += _write_chunks(forum, landing / "bench" / "forum", "forum")
    return files


def _write_chunks(frame: pd.DataFrame, folder: Path, stem: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, first in enumerate(range(0, len(frame), FILE_ROWS)):
        path = folder / f"{stem}-{number:03d}.csv"
        frame.iloc[first:first + FILE_ROWS].to_csv(path, index=False)
        paths.append(path)
    return paths


def duckdb_read_seconds(files: dict[str, list[Path]]) -> float:
    """The baseline: DuckDB alone reading every file of each source into a table."""
    started = time.perf_counter()
    con = duckdb.connect()
    for source, paths in files.items():
        con.execute(f"create table {source} as select * from read_csv(?, header = true)",
                    [[str(p) for p in paths]])
    con.close()
    return time.perf_counter() - started


def bench_settings(workdir: Path):
    """Settings for a benchmark warehouse under a fresh ``workdir``."""
    from netpulse.settings import Settings

    shutil.rmtree(workdir, ignore_errors=True)
    return dataclasses.replace(
        Settings.from_env(), landing=workdir / "landing", warehouse=workdir / "bench.duckdb",
        data_docs=workdir / "data_docs", network_config=None, hash_key="benchmark-key",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)

    from netpulse.build import build
    from netpulse.loading import ingest

    settings = bench_settings(args.workdir)
    started = time.perf_counter()
    files = write_landing(settings.landing, args.events, args.members, args.years)
    generate = time.perf_counter() - started
    size_mb = sum(p.stat().st_size for p in files) / 1e6

    baseline = duckdb_read_seconds({source: [p for p in files if p.parent.name == source]
                                    for source in ("attendance", "forum")})
    started = time.perf_counter()
    report = ingest(settings)
    ingest_seconds = time.perf_counter() - started
    assert {o.status for o in report.outcomes} == {"loaded"}, report.summary()
    started = time.perf_counter()
    result = build(settings)
    build_seconds = time.perf_counter() - started

    total = ingest_seconds + build_seconds
    print(f"events                 {args.events:>12,}  ({len(files)} files, {size_mb:,.0f} MB, "
          f"{args.members:,} members, {args.years} years; generated in {generate:.1f} s)")
    print(f"duckdb read_csv        {baseline:>12.2f} s   (baseline: DuckDB reading the same files)")
    print(f"netpulse ingest        {ingest_seconds:>12.2f} s   ({args.events / ingest_seconds:,.0f} events/s)")
    print(f"netpulse build         {build_seconds:>12.2f} s   ({len(result.models)} models, "
          f"{result.network_periods} network periods)")
    print(f"end to end             {total:>12.2f} s   = {total / baseline:.1f} x the DuckDB baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
