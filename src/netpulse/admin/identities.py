"""The identity review queue: proposed matches that a person accepts or rejects.

A vendor identity that no e-mail or account links to a member (a Zoom display name, a
sign-in sheet name) stays unmatched. When its name equals the roster name of a member of
the same network, that is a *proposal*, never a merge: names collide, and a wrong merge
would mix two people's records. Accepted proposals are stored in meta.identity_decisions;
the next build resolves the identity to the member and restates every period.

This is an operational tool for the data team: it shows names from the raw schema, which
is why it lives on the command line and not in any analyst or funder table.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

import pandas as pd

from netpulse.config.settings import Settings
from netpulse.errors import NetpulseError
from netpulse.store.warehouse import open_warehouse

# Names compared case-, space- and punctuation-insensitively ("Dr. Jane  Doe" = "dr jane doe").
_NAME_KEY = "trim(regexp_replace(regexp_replace(lower({col}), '[^a-z0-9 ]', ' ', 'g'), '\\s+', ' ', 'g'))"

_QUEUE_SQL = f"""
with unmatched as (
    select network_id, person as identity_hash
    from staging.int_people_resolved
    where matched_by = 'unmatched'
),

vendor_rows as (
    select network_id, identity_hash, source_system, coalesce(display_name, source_user_id) as shown_name
    from raw.attendance where email_hash is null and identity_hash is not null
    union all
    select network_id, identity_hash, source_system, coalesce(display_name, source_user_id)
    from raw.forum where email_hash is null and identity_hash is not null
    union all
    select network_id, identity_hash, source_system, coalesce(display_name, source_user_id)
    from raw.survey_responses where email_hash is null and identity_hash is not null
),

identities as (
    select network_id, identity_hash, any_value(source_system) as source_system,
           mode(shown_name) as shown_name, count(*) as rows_seen
    from vendor_rows
    inner join unmatched using (network_id, identity_hash)
    group by all
),

roster as (
    select roster.network_id, coalesce(aliases.member_key, roster.email_hash) as member_key,
           roster.name as roster_name, roster.organisation
    from raw.roster as roster
    left join staging.int_member_aliases as aliases using (email_hash)
    where roster.name is not null
    qualify row_number() over (partition by roster.network_id, roster.email_hash order by roster.delivery_id desc) = 1
)

select
    identities.network_id,
    identities.identity_hash,
    identities.source_system,
    identities.shown_name,
    identities.rows_seen,
    roster.member_key,
    roster.roster_name,
    roster.organisation,
    decisions.decision,
from identities
left join roster
    on identities.network_id = roster.network_id
    and {_NAME_KEY.format(col="identities.shown_name")} = {_NAME_KEY.format(col="roster.roster_name")}
left join meta.identity_decisions as decisions
    on decisions.network_id = identities.network_id
    and decisions.identity_hash = identities.identity_hash
    and decisions.member_key = roster.member_key
order by identities.network_id, identities.shown_name
"""


def proposal_id(identity_hash: str, member_key: str) -> str:
    return hashlib.sha256(f"{identity_hash}:{member_key}".encode()).hexdigest()[:10]


def review_queue(settings: Settings, network_id: str | None = None) -> pd.DataFrame:
    """Unmatched identities, each with its proposed member (if a roster name matches)."""
    with open_warehouse(settings, read_only=True) as con:
        if not con.execute("select count(*) from information_schema.tables "
                           "where table_schema = 'staging' and table_name = 'int_people_resolved'").fetchone()[0]:
            raise NetpulseError("no build yet: run `netpulse run` first")
        queue = con.execute(_QUEUE_SQL).df()
    if network_id:
        queue = queue[queue["network_id"] == network_id]
    queue["proposal_id"] = [
        proposal_id(i, m) if isinstance(m, str) else None
        for i, m in zip(queue["identity_hash"], queue["member_key"], strict=True)
    ]
    return queue.reset_index(drop=True)


def decide(settings: Settings, proposal: str, decision: str, decided_by: str | None = None) -> dict:
    """Record a person's decision on a proposal; returns the proposal decided."""
    queue = review_queue(settings)
    match = queue[queue["proposal_id"] == proposal]
    if match.empty:
        raise NetpulseError(f"no open proposal {proposal!r}: `netpulse identities` lists them")
    row = match.iloc[0]
    with open_warehouse(settings) as con:
        con.execute(
            "insert or replace into meta.identity_decisions values (?, ?, ?, ?, ?, ?)",
            [row["network_id"], row["identity_hash"], row["member_key"], decision,
             datetime.now(UTC).replace(tzinfo=None), decided_by or os.environ.get("USER")],
        )
    return row.to_dict()


def format_queue(queue: pd.DataFrame) -> str:
    if queue.empty:
        return "no unmatched identities"
    lines = []
    proposed = queue[queue["proposal_id"].notna()]
    if len(proposed):
        lines.append("proposed matches (accept or reject: netpulse identities accept|reject ID):")
        for row in proposed.to_dict("records"):
            state = f" [{row['decision']}]" if isinstance(row["decision"], str) else ""
            lines.append(
                f"  {row['proposal_id']}  {row['network_id']}: {row['source_system']} "
                f"{row['shown_name']!r} ({row['rows_seen']} rows) -> roster member {row['roster_name']!r}"
                f"{', ' + row['organisation'] if isinstance(row['organisation'], str) else ''}{state}"
            )
    unproposed = queue[queue["proposal_id"].isna()]
    if len(unproposed):
        lines.append("unmatched identities with no proposal (counted in unmatched_identities):")
        for row in unproposed.to_dict("records"):
            lines.append(f"  {row['network_id']}: {row['source_system']} {row['shown_name']!r} "
                         f"({row['rows_seen']} rows)")
    return "\n".join(lines)
