"""DuckDB's memory limit: NETPULSE_MEMORY_LIMIT reaches every warehouse connection, a build included."""

from __future__ import annotations

import duckdb
import pytest

from netpulse.config.settings import DEFAULT_MEMORY_LIMIT, Settings
from netpulse.errors import ConfigError
from netpulse.store.warehouse import open_warehouse
from tests.helpers import make_settings


def _shown(limit: str) -> str:
    """How DuckDB shows a limit (it rounds and names the unit its own way)."""
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{limit}'")
        return con.execute("select current_setting('memory_limit')").fetchone()[0]


@pytest.mark.parametrize("limit", ["1500MB", "3GiB"])
def test_the_limit_reaches_the_warehouse_connection(tmp_path, monkeypatch, limit):
    monkeypatch.setenv("NETPULSE_MEMORY_LIMIT", limit)
    settings = make_settings(tmp_path, memory_limit=Settings.from_env().memory_limit)
    for read_only in (False, True):
        with open_warehouse(settings, read_only=read_only) as con:
            assert con.execute("select current_setting('memory_limit')").fetchone()[0] == _shown(limit)


def test_the_default_is_a_bounded_limit_not_most_of_the_machine(tmp_path, monkeypatch):
    monkeypatch.delenv("NETPULSE_MEMORY_LIMIT", raising=False)
    assert Settings.from_env().memory_limit == DEFAULT_MEMORY_LIMIT == "2GiB"
    with open_warehouse(make_settings(tmp_path)) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == _shown("2GiB")


@pytest.mark.parametrize("text", ["lots", "2", "-1GB", "0GB", "2GB; select 1", "80%"])
def test_a_limit_that_is_not_an_amount_is_refused_naming_the_setting(monkeypatch, text):
    monkeypatch.setenv("NETPULSE_MEMORY_LIMIT", text)
    with pytest.raises(ConfigError, match="NETPULSE_MEMORY_LIMIT must be an amount such as 2GiB"):
        Settings.from_env()
