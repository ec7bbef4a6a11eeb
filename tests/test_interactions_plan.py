"""The interaction edges of one large network must not pair every member with every other.

Inside a build's transaction the tables just created lack distinct counts, and the planner once
joined the forum authors' member codes to the answered members' codes on network_id alone before
meeting the posts: members squared rows (25 million for a network of 5,000 members, a build
peaking at 6.3 GiB). This runs the real model file on a real DuckDB, its inputs created inside a
transaction as a build creates them, and counts the rows every operator produced.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from netpulse.build.models import sql_models

MEMBERS = 1_000
POSTS = 6 * MEMBERS
ATTENDANCES = 4 * MEMBERS  # meetings of 20: 190 pairs each


def model_sql(name: str) -> str:
    return next(m.sql for m in sql_models() if m.name == name)


def operator_rows(node: dict):
    yield node.get("intermediate_rows", 0)
    for child in node.get("children", []) + node.get("operator", []):
        yield from operator_rows(child)


@pytest.fixture
def one_large_network():
    con = duckdb.connect()
    con.execute("create schema staging; create schema core")
    con.execute("begin transaction")
    con.execute(f"create table core.members as select 'n1' as network_id, sha256(i::varchar) as member_key "
                f"from range({MEMBERS}) as t(i)")
    con.execute("create table staging.int_member_codes as select network_id, member_key, "
                "(row_number() over (partition by network_id order by member_key))::integer as member_code "
                "from core.members")
    con.execute(f"create table core.attendances as select 'n1' as network_id, 'm' || (i // 20) as meeting_id, "
                f"date '2024-01-01' + (i // 500)::integer as local_date, "
                f"sha256((i * 7 % {MEMBERS})::varchar) as member_key from range({ATTENDANCES}) as t(i)")
    con.execute(f"create table core.forum_posts as select 'n1' as network_id, 'p' || i as post_id, "
                f"date '2024-01-01' + (i // 500)::integer as local_date, "
                f"case when i % 3 = 0 then 'reaction' else 'reply' end as kind, "
                f"sha256((i % {MEMBERS})::varchar) as member_key, "
                f"sha256(((i * 13 + 1) % {MEMBERS})::varchar) as replied_to_member_key "
                f"from range({POSTS}) as t(i)")
    yield con
    con.close()


def test_interaction_edges_grow_with_posts_and_meetings_not_members_squared(one_large_network):
    sql = model_sql("staging.int_interactions_coded")
    profile = json.loads(one_large_network.execute(f"explain (analyze, format json) {sql}").fetchall()[0][1])
    edges = one_large_network.execute(f"select count(*) from ({sql})").fetchone()[0]
    co_attendance_pairs = ATTENDANCES // 20 * 190
    assert edges == co_attendance_pairs + POSTS  # every post answers another member
    # The largest intermediate result is of the order of the edges (44,000); pairing members
    # would be MEMBERS**2 = 1,000,000 rows.
    assert max(operator_rows(profile)) <= 2 * edges
