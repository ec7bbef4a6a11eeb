"""Erasure: remove one member from a network's raw data, and so from every derived table.

A request names the member by an e-mail address. Everything that identifies them in the
network is found from the last build: the member key, every address the roster lists for
them, and every vendor account resolved to them. Their raw rows (attendance, forum, survey
responses and answers, roster entries) and identity decisions are deleted in one
transaction, the pseudonymous keys are recorded in ``meta.erasures`` so that a file
delivered again is loaded without them, and a build then restates every derived table.
History tables hold aggregates only; the counts of earlier builds are left as published.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from netpulse.config.settings import Settings
from netpulse.errors import ConfigError, NetpulseError
from netpulse.ingest.identity import MemberHasher, check_hash_key
from netpulse.store.warehouse import open_warehouse

log = logging.getLogger(__name__)

# Raw tables and the columns that name a person in them.
PERSON_COLUMNS = {
    "raw.attendance": ("email_hash", "identity_hash"),
    "raw.forum": ("email_hash", "identity_hash"),
    "raw.survey_responses": ("email_hash", "identity_hash"),
    "raw.roster": ("email_hash",),
}


@dataclass(frozen=True)
class ErasureReport:
    network_id: str
    keys: int
    rows_removed: dict[str, int]

    def summary(self) -> str:
        removed = ", ".join(f"{table} {count}" for table, count in self.rows_removed.items())
        return (f"erased 1 member of {self.network_id} ({self.keys} pseudonymous keys): "
                f"{sum(self.rows_removed.values())} raw rows removed ({removed})")


def _keys_of(con: duckdb.DuckDBPyConnection, network_id: str, email_hash: str) -> list[str]:
    """The member's pseudonymous keys in the network: member key, addresses, vendor accounts."""
    built = con.execute("select count(*) from information_schema.tables where table_schema = 'staging' "
                        "and table_name in ('int_member_aliases', 'int_people_resolved')").fetchone()[0] == 2
    if not built:
        return [email_hash]
    (member_key,) = con.execute(
        "select coalesce((select member_key from staging.int_member_aliases where email_hash = ?), ?)",
        [email_hash, email_hash]).fetchone()
    rows = con.execute(
        """
        select ? union select ?
        union select email_hash from staging.int_member_aliases where member_key = ?
        union select person from staging.int_people_resolved where network_id = ? and member_key = ?
        """,
        [email_hash, member_key, member_key, network_id, member_key]).fetchall()
    return sorted(key for (key,) in rows if key is not None)


def erase_member(settings: Settings, network_id: str, email: str, *, requested_by: str | None = None) -> ErasureReport:
    """Delete a member's raw rows in one network and record the erasure; the caller rebuilds."""
    if not settings.hash_key:
        raise ConfigError("NETPULSE_HASH_KEY is needed to find the member: it is the key their address was hashed with")
    email_hash = MemberHasher(settings.hash_key).hash_one(email)
    if email_hash is None:
        raise NetpulseError("an erasure needs the member's e-mail address")
    with open_warehouse(settings) as con:
        check_hash_key(con, settings.hash_key)
        if not con.execute("select count(*) from meta.networks where network_id = ?", [network_id]).fetchone()[0]:
            raise NetpulseError(f"no network {network_id!r} in this warehouse")
        keys = _keys_of(con, network_id, email_hash)
        removed: dict[str, int] = {}
        con.execute("begin transaction")
        try:
            con.execute("create or replace temp table erased_keys as select unnest(?::varchar[]) as erased_key", [keys])
            # Answers first: they are found through the responses they belong to.
            removed["raw.survey_answers"] = con.execute(
                """
                delete from raw.survey_answers as answers
                using raw.survey_responses as responses
                where answers.network_id = ? and responses.network_id = answers.network_id
                    and responses.response_id = answers.response_id and responses.delivery_id = answers.delivery_id
                    and (responses.email_hash in (select erased_key from erased_keys)
                         or responses.identity_hash in (select erased_key from erased_keys))
                """, [network_id]).fetchone()[0]
            for table, columns in PERSON_COLUMNS.items():
                named = " or ".join(f"{c} in (select erased_key from erased_keys)" for c in columns)
                removed[table] = con.execute(f"delete from {table} where network_id = ? and ({named})",
                                             [network_id]).fetchone()[0]
            con.execute("delete from meta.identity_decisions where network_id = ? and "
                        "(identity_hash in (select erased_key from erased_keys) "
                        "or member_key in (select erased_key from erased_keys))", [network_id])
            con.execute(
                "insert or replace into meta.erasures select ?, erased_key, ?, ?, ? from erased_keys",
                [network_id, datetime.now(UTC).replace(tzinfo=None), requested_by,
                 sum(removed.values())])
            con.execute("drop table erased_keys")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    report = ErasureReport(network_id, len(keys), removed)
    log.info(report.summary())
    return report
