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


def test_duckdb_spills_into_a_folder_only_the_data_team_can_read(tmp_path):
    settings = make_settings(tmp_path)
    folder = tmp_path / "warehouse.duckdb.tmp"
    folder.mkdir(mode=0o755)  # as DuckDB or an older netpulse may have left it
    with open_warehouse(settings) as con:
        assert con.execute("select current_setting('temp_directory')").fetchone()[0] == str(folder)
        # A sort larger than the limit still completes.
        con.execute("set memory_limit = '64MB'")
        con.execute("set preserve_insertion_order = false")
        count = con.execute("select count(*) from (select md5(range::varchar) as h from range(3000000) "
                            "order by h)").fetchone()[0]
        assert count == 3_000_000
    assert folder.stat().st_mode & 0o777 == 0o700
