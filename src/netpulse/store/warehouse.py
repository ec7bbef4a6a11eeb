"""The DuckDB warehouse: opening it safely and creating its tables.

This layer serves the others and imports none of them: what is stored about networks or
members is written by the modules that own those ideas.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from netpulse.config.settings import Settings, project_path
from netpulse.errors import ConfigError, WarehouseLocked

log = logging.getLogger(__name__)
WAREHOUSE_MODE = 0o600
SPILL_MODE = 0o700


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
    created = not path.exists()
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            if created and path.exists():
                # Raw e-mails and names: the data team's account only (docs/security.md).
                os.chmod(path, WAREHOUSE_MODE)
            return con
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise ConfigError(f"cannot open warehouse {path}: {exc}") from None
            last_error = exc
            delay = wait_seconds * (2 ** attempt)
            log.warning("warehouse %s is locked by another process; retrying in %.1fs", path, delay)
            if attempt < attempts - 1:
                time.sleep(delay)
    raise WarehouseLocked(
        f"warehouse {path} is locked by {lock_holder(str(last_error))} and stayed locked over "
        f"{attempts} attempts; {_what_to_do(str(last_error))}"
    )


def lock_holder(error: str) -> str:
    """The process DuckDB's lock error names, in words: its PID and command line where readable."""
    found = re.search(r"PID (\d+)", error)
    if not found:
        return "another process"
    command = _command_line(int(found.group(1)))
    return f"process {found.group(1)}" + (f" ({command})" if command else "")


def _what_to_do(error: str) -> str:
    found = re.search(r"PID (\d+)", error)
    command = _command_line(int(found.group(1))) if found else ""
    if any(word in command for word in ("netpulse", "airflow")):
        return "wait for that load or build to finish, then try again"
    if command:
        return ("close that session (analysts read the snapshot, <warehouse>.snapshot.duckdb, which "
                "never blocks a load), then try again")
    return "wait for it to finish or close it, then try again"


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""  # not Linux, or the process has gone
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    return " ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words))[:160]


def spill_directory(warehouse: Path) -> Path:
    """``<warehouse>.tmp``: where DuckDB spills above its memory limit, ``0700`` like the warehouse.

    What spills is the warehouse's own rows (raw e-mails and names among them): DuckDB would
    create the folder with the umask's ``0750``, readable by the group analysts may be in.
    """
    folder = warehouse.with_name(f"{warehouse.name}.tmp")
    try:
        folder.mkdir(mode=SPILL_MODE, exist_ok=True)
        os.chmod(folder, SPILL_MODE)  # also when an older netpulse or DuckDB made it wider
    except PermissionError:
        pass  # a reader on another account: the data team's folder stays as it is
    return folder


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


@contextmanager
def open_warehouse(settings: Settings, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(settings.warehouse, read_only=read_only,
                  attempts=settings.lock_attempts, wait_seconds=settings.lock_wait_seconds)
    try:
        con.execute(f"set memory_limit = '{settings.memory_limit}'")  # checked by Settings
        con.execute(f"set temp_directory = '{_quoted(spill_directory(settings.warehouse))}'")
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
