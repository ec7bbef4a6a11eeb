"""The DuckDB warehouse: opening it safely and creating its tables.

This layer serves the others and imports none of them: what is stored about networks or
members is written by the modules that own those ideas.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from netpulse.config.settings import Settings, project_path
from netpulse.errors import ConfigError, WarehouseLocked

log = logging.getLogger(__name__)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("could not set" in text or "conflicting" in text)


def connect(path: Path, *, read_only: bool = False, attempts: int = 6,
            wait_seconds: float = 0.5) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, retrying while another process holds its write lock.

    DuckDB lets one process write a file; a second writer (or reader) fails at once.
    Loads are short, so waiting with backoff resolves most conflicts; if it does not,
    the caller gets one clear error instead of DuckDB's.
    """
    if read_only and not path.exists():
        raise ConfigError(f"warehouse {path} does not exist yet: run `netpulse run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise ConfigError(f"cannot open warehouse {path}: {exc}") from None
            last_error = exc
            delay = wait_seconds * (2 ** attempt)
            log.warning("warehouse %s is locked by another process; retrying in %.1fs", path, delay)
            if attempt < attempts - 1:
                time.sleep(delay)
    holder = re.search(r"PID (\d+)", str(last_error))
    raise WarehouseLocked(
        f"warehouse {path} is locked by another process"
        + (f" (PID {holder.group(1)})" if holder else "")
        + f" and stayed locked over {attempts} attempts; wait for the running load or build "
        "to finish, then try again"
    )


@contextmanager
def open_warehouse(settings: Settings, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(settings.warehouse, read_only=read_only,
                  attempts=settings.lock_attempts, wait_seconds=settings.lock_wait_seconds)
    try:
        if not read_only:
            apply_ddl(con)
        yield con
    finally:
        con.close()


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame) -> Iterator[None]:
    """Expose a DataFrame to SQL as ``name`` for the duration of the block."""
    con.register(name, frame)
    try:
        yield
    finally:
        try:
            con.unregister(name)
        except duckdb.Error:
            pass  # the connection is already failing: keep the original error visible


def apply_ddl(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas and tables; every statement is idempotent."""
    for ddl_file in sorted(project_path("warehouse").glob("*.sql")):
        con.execute(ddl_file.read_text(encoding="utf-8"))
