"""Benchmark: `netpulse run` on the shape users have, against DuckDB's own typed read and plain pandas.

For each shape, writes a landing zone of many small generic CSV deliveries (bench/landing_shape.py:
200 networks of 20-300 members, five years, 16 files a network) and measures, each step as its
own process (wall and CPU seconds, and the peak memory of that process and its workers):

  DuckDB typed read      DuckDB alone reading every file of each source into a typed table: the limit;
  netpulse full run      `netpulse run` into an empty warehouse;
  one new file           `netpulse run` after one new attendance file of ~50 rows;
  nothing new            `netpulse run` again;
  pandas core counts     bench/pandas_core_counts.py, the same counts in plain pandas.

Prints one table with the performance targets beside the figures, and checks that the pandas
counts agree with indicators.network_period. Figures, not assertions: the exit status is 0
whatever the figures (unless the benchmark itself breaks).

    python bench/bench_pipeline.py                  # shapes 1M and 10M
    python bench/bench_pipeline.py --shapes small   # 20 networks, 50,000 events: a quick try
    python bench/bench_pipeline.py --shapes 1M 300k --networks 100 --timeout 900
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from landing_shape import write_landing, write_new_file  # noqa: E402
from pandas_core_counts import COUNTS  # noqa: E402

MIB_PER_GIB = 1024
PASSED_ON = ("NETPULSE_MEMORY_LIMIT", "NETPULSE_WORKERS")


@dataclasses.dataclass(frozen=True)
class Shape:
    name: str
    networks: int
    events: int


PRESETS = {"1M": Shape("1M", 200, 1_000_000), "10M": Shape("10M", 200, 10_000_000),
           "small": Shape("small", 20, 50_000)}


def parse_shape(text: str, networks: int | None) -> Shape:
    """A preset (1M, 10M, small) or a number of events such as 300k or 2.5M (200 networks)."""
    shape = PRESETS.get(text)
    if shape is None:
        number = text.lower().rstrip("km")
        scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
        shape = Shape(text, 200, round(float(number) * scale))  # ValueError: not a shape
    return dataclasses.replace(shape, networks=networks) if networks else shape


def bench_settings(workdir: Path):
    """Settings for a benchmark warehouse under a fresh ``workdir`` (bench_indicators.py)."""
    from netpulse.config.settings import Settings

    shutil.rmtree(workdir, ignore_errors=True)
    return dataclasses.replace(
        Settings.from_env(), landing=workdir / "landing", warehouse=workdir / "bench.duckdb",
        data_docs=workdir / "data_docs", network_config=None, hash_key="benchmark-key",
    )


# ---------------------------------------------------------------- measuring a process


@dataclasses.dataclass
class Measured:
    seconds: float
    peak_mb: float
    returncode: int
    timed_out: bool
    log: Path
    cpu_seconds: float = 0.0  # user + system of the process and the children it waited for (not forkserver workers)


    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def failure(self) -> str:
        return f"timed out after {self.seconds:.0f} s" if self.timed_out else f"failed (exit {self.returncode})"


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (children of children too), from /proc."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    queue += [int(child) for child in children.read().split()]
        except OSError:  # it ended meanwhile
            pass
    return found


def tree_pss_mb(pid: int) -> float:
    """The proportional set size of ``pid`` and its descendants, in MiB (shared pages counted once)."""
    total_kb = 0
    for process in descendants(pid):
        try:
            with open(f"/proc/{process}/smaps_rollup") as rollup:
                total_kb += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total_kb / 1024


class TreeMemory:
    """The highest PSS of a process tree, sampled every 0.2 s until ``stop()``.

    wait4's peak RSS counts a process and the children it waited for, not the workers of a
    forkserver (children of the server, which nobody waits for): measured, a forkserver
    worker holding 1.5 GB left the parent's peak at 15 MB.
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_mb = max(self.peak_mb, tree_pss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def measure(command: list[str], env: dict[str, str], cwd: Path, timeout: float, log: Path) -> Measured:
    """Run one step as its own process: wall time, CPU time and peak memory.

    Peak memory is the larger of the process's peak RSS (wait4) and the peak PSS of the process
    with all its descendants, worker processes included (sampled). CPU time (user + system, of
    the process and the children it waited for; not forkserver workers) says more than wall time
    on a shared machine.
    """
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        expired = threading.Event()
        tree = TreeMemory(process.pid)

        def kill() -> None:
            expired.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:  # it ended just now
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        # wait4, not Popen.wait: its rusage is this child's alone (RUSAGE_CHILDREN would
        # accumulate every step run so far).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        timer.cancel()
        tree_peak = tree.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(seconds, max(usage.ru_maxrss / 1024, tree_peak), process.returncode, expired.is_set(), log,
                    usage.ru_utime + usage.ru_stime)


# ---------------------------------------------------------------- one shape


@dataclasses.dataclass
class Row:
    label: str
    measured: Measured | None  # None: not run
    target: str = ""
    met: bool | None = None    # None: no target on this row
    note: str = ""


def run_shape(shape: Shape, workdir: Path, timeout: float, seed: int) -> tuple[list[str], list[Row]]:
    home = (workdir / shape.name).resolve()
    shutil.rmtree(home, ignore_errors=True)
    landing, warehouse = home / "landing", home / "warehouse.duckdb"
    home.mkdir(parents=True)

    def say(text: str) -> None:
        print(f"[{shape.name}] {text}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    generated = write_landing(landing, shape.networks, shape.events, seed)
    generate_seconds = time.perf_counter() - started
    say(f"generated {generated.file_count:,} files, {generated.events:,} events in {generate_seconds:.0f} s")

    # The caller's settings of how netpulse runs are kept; nothing of where it reads and writes.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPULSE_") or k in PASSED_ON}
    env.update(NETPULSE_HASH_KEY="benchmark-key", NETPULSE_HOME=str(home), NETPULSE_DATA_DOCS=str(home / "data_docs"))
    executable = Path(sys.executable).with_name("netpulse")  # the virtualenv's, beside its python
    netpulse = [str(executable) if executable.exists() else "netpulse", "run", "--landing", str(landing),
                "--warehouse", str(warehouse)]

    def step(name: str, command: list[str]) -> Measured:
        say(f"{name} ...")
        result = measure(command, env, home, timeout, home / f"{name}.log")
        say(f"{name}: {result.seconds:.1f} s, peak memory {result.peak_mb:,.0f} MiB"
            + ("" if result.ok else f", {result.failure}"))
        if not result.ok:
            print(f"--- {shape.name} {name} {result.failure}; its output ({result.log}):\n"
                  f"{result.log.read_text(errors='replace').rstrip()}\n---", flush=True)
        return result

    read = step("duckdb-typed-read", [sys.executable, str(BENCH / "duckdb_typed_read.py"), str(landing)])
    counts_csv = home / "pandas_counts.csv"
    pandas_run = step("pandas", [sys.executable, str(BENCH / "pandas_core_counts.py"), str(landing),
                                 "--out", str(counts_csv)])
    full = step("netpulse-full", netpulse)
    header = [f"shape {shape.name}: {shape.networks} networks, {generated.file_count:,} files, "
              f"{generated.megabytes:,.1f} MB, {generated.events:,} events ("
              + ", ".join(f"{s} {generated.rows[s]:,}" for s in ("attendance", "forum", "survey"))
              + f"); generated in {generate_seconds:.1f} s"]
    incremental = quiet = None
    if full.ok:
        header.append(deliveries(warehouse))
        if pandas_run.ok:
            header.append(compare_counts(counts_csv, warehouse))
        write_new_file(landing, tag="bench-1")
        incremental = step("netpulse-one-new-file", netpulse)
        quiet = step("netpulse-nothing-new", netpulse)
    return header, rows_with_targets(shape, read, full, incremental, quiet, pandas_run)


def deliveries(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        status = dict(con.execute("select status, count(*) from meta.deliveries group by status").fetchall())
    text = ", ".join(f"{n:,} {s}" for s, n in sorted(status.items()))
    return f"deliveries after the full run: {text}" + ("" if not status.get("quarantined") else
                                                       "  <- quarantined files: see `netpulse status`")


def compare_counts(counts_csv: Path, warehouse: Path) -> str:
    """Do the pandas counts agree with indicators.network_period, network x grain x period?"""
    ours = pd.read_csv(counts_csv, parse_dates=["period_start"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        theirs = con.execute(f"select network_id, grain, period_start, {', '.join(COUNTS)} "
                             "from indicators.network_period").df()
    theirs["period_start"] = pd.to_datetime(theirs["period_start"])
    both = ours.merge(theirs, on=["network_id", "grain", "period_start"], how="outer", suffixes=("", "_np"),
                      indicator=True)
    differ = {c: int((both[c] != both[f"{c}_np"]).sum()) for c in COUNTS}
    unmatched = int((both["_merge"] != "both").sum())
    if unmatched == 0 and not any(differ.values()):
        quarters = int((both["grain"] == "quarter").sum())
        return (f"pandas and netpulse core counts agree: all {len(COUNTS)} counts, {len(both):,} network periods "
                f"({quarters:,} network x quarter)")
    wrong = ", ".join(f"{c} in {n:,}" for c, n in differ.items() if n)
    return (f"pandas and netpulse core counts DIFFER: {unmatched:,} network periods in only one of them; "
            f"values differ for {wrong or 'no count'} of {len(both):,} network periods")


# The targets (figures, not assertions): the 1M shape against DuckDB's read and the pandas script,
# a small delivery against a run with nothing new, the 10M shape in time and memory.
FULL_PER_READ, FULL_PER_PANDAS = 15, 2
ONE_FILE_PER_NOTHING = 3
NOTHING_SECONDS, NOTHING_SHARE = 2.0, 0.03
LARGE_SECONDS, LARGE_PEAK_GIB = 600, 4


def rows_with_targets(shape: Shape, read: Measured, full: Measured, incremental: Measured | None,
                      quiet: Measured | None, pandas_run: Measured) -> list[Row]:
    def ok(m: Measured | None) -> bool:
        return m is not None and m.ok

    def ratio(a: Measured | None, b: Measured | None) -> float | None:
        return a.seconds / b.seconds if ok(a) and ok(b) else None

    per_read, per_pandas = ratio(full, read), ratio(full, pandas_run)
    per_nothing, share = ratio(incremental, quiet), ratio(quiet, full)
    if shape.name == "10M":
        full_row = Row("netpulse run, empty warehouse", full,
                       f"<= {LARGE_SECONDS} s, peak < {LARGE_PEAK_GIB} GiB",
                       ok(full) and full.seconds <= LARGE_SECONDS and full.peak_mb < LARGE_PEAK_GIB * MIB_PER_GIB)
    else:
        full_row = Row("netpulse run, empty warehouse", full,
                       f"<= {FULL_PER_READ} x read, <= {FULL_PER_PANDAS} x pandas",
                       per_read is not None and per_pandas is not None
                       and per_read <= FULL_PER_READ and per_pandas <= FULL_PER_PANDAS)
    full_row.note = (f"{per_read:.1f} x read, {per_pandas:.1f} x pandas"
                     if per_read is not None and per_pandas is not None else "")
    return [
        Row("DuckDB typed read (the limit)", read),
        full_row,
        Row("netpulse run, one new file", incremental, f"<= {ONE_FILE_PER_NOTHING} x nothing new",
            per_nothing is not None and per_nothing <= ONE_FILE_PER_NOTHING,
            f"{per_nothing:.1f} x nothing new" if per_nothing is not None else ""),
        Row("netpulse run, nothing new", quiet, f"<= {NOTHING_SECONDS:.0f} s, <= {NOTHING_SHARE:.0%} of full",
            ok(quiet) and quiet.seconds <= NOTHING_SECONDS and share is not None and share <= NOTHING_SHARE,
            f"{share:.1%} of the full run" if share is not None else ""),
        Row("pandas core counts", pandas_run),
    ]


def print_shape(header: list[str], rows: list[Row], read: Measured) -> None:
    print()
    for line in header:
        print(line)
    print(f"  {'step':<32} {'seconds':>9} {'CPU s':>8} {'peak mem':>12} {'x DuckDB':>9}   {'target':<34} {'':<7} note")
    for row in rows:
        m = row.measured
        if m is None:
            figures = f"{'-':>9} {'-':>8} {'-':>12} {'-':>9}"
            note = "not run: the full run failed"
        else:
            ratio = f"{m.seconds / read.seconds:>8.1f}x" if read.ok else f"{'-':>9}"
            figures = f"{m.seconds:>9.2f} {m.cpu_seconds:>8.1f} {m.peak_mb:>8,.0f} MiB {ratio}"
            note = row.note if m.ok else f"{m.failure}; output in {m.log}"
        verdict = "" if row.met is None else ("met" if row.met else "missed")
        print(f"  {row.label:<32} {figures}   {row.target:<34} {verdict:<7} {note}".rstrip())
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", nargs="+", default=["1M", "10M"],
                        help="1M, 10M, small (20 networks, 50,000 events) or a number of events (300k)")
    parser.add_argument("--networks", type=int, help="networks in every shape (default: the shape's own, 200)")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed to each measured step")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    try:
        shapes = [parse_shape(s, args.networks) for text in args.shapes for s in text.split(",") if s]
    except ValueError as exc:
        parser.error(f"--shapes: 1M, 10M, small or a number of events such as 300k ({exc})")
    print("netpulse run on the shape users have: wall seconds, CPU seconds (user + system) and peak memory of "
          "each step's own process and its workers (figures, not assertions)")
    print(f"DuckDB memory limit {os.environ.get('NETPULSE_MEMORY_LIMIT') or '2GiB (the default)'} "
          f"(NETPULSE_MEMORY_LIMIT), {os.environ.get('NETPULSE_WORKERS') or os.cpu_count()} workers "
          f"(NETPULSE_WORKERS), {os.cpu_count()} CPUs")
    for shape in shapes:
        header, rows = run_shape(shape, args.workdir, args.timeout, args.seed)
        print_shape(header, rows, rows[0].measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
