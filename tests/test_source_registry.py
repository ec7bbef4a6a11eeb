"""A source is declared once (netpulse.config.sources); what restates it is generated or checked here.

Generated from the registry: the generic header of every test and of the demo data, the column
checks at the top of each source's expectation suite, the incremental build's list of tables
holding e-mail hashes. Checked against it: the raw tables a new warehouse creates, the staging
model reading each raw table, and each source's column table in docs/formats.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from netpulse.build.incremental import ALIASED
from netpulse.config.sources import FORMATS, REGISTRY
from netpulse.demo.data import COLUMNS as DEMO_COLUMNS
from netpulse.quality.validation import load_suite
from netpulse.store.warehouse import open_warehouse
from tests.helpers import make_settings

REPO = Path(__file__).resolve().parents[1]


def test_a_new_warehouse_has_each_sources_raw_table_with_the_registrys_columns_in_order(tmp_path):
    settings = make_settings(tmp_path)
    with open_warehouse(settings):
        pass
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        for source in REGISTRY.values():
            schema, table = source.raw_table.split(".")
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall()]
            assert [c for c in columns if c not in ("delivery_id", "network_id")] == list(source.raw_columns), \
                source.name
    finally:
        con.close()


def test_each_source_suite_first_checks_the_registrys_columns():
    for name, fmt in FORMATS.items():
        exist = [e.column for e in load_suite(name).expectations if e.expectation_type == "expect_column_to_exist"]
        assert exist == list(fmt.required), name


def test_the_demo_the_tests_and_the_incremental_build_take_the_columns_from_the_registry():
    from tests import helpers

    for name, fmt in FORMATS.items():
        assert DEMO_COLUMNS[name][:len(fmt.required)] == fmt.required
        assert getattr(helpers, f"{name.upper()}_HEADER") == list(fmt.required)
    assert set(ALIASED) == {s.raw_table for s in REGISTRY.values()}


def test_each_raw_table_is_read_by_a_staging_model():
    staging = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "transforms" / "1_staging").glob("*.sql")}
    for source in REGISTRY.values():
        readers = [n for n, sql in staging.items() if re.search(rf"\bfrom {re.escape(source.raw_table)}\b", sql)]
        assert any(n.startswith(f"stg_{source.name}__") for n in readers), (source.name, readers)


def test_docs_formats_lists_each_sources_required_columns_in_order():
    text = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    for name, fmt in FORMATS.items():
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        table = section.split("\n\n| column |", 1)[1].split("\n\n", 1)[0]
        documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)
        assert documented == list(fmt.required), name
