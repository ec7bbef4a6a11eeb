"""The networks a load knows, recorded in the warehouse (``meta.networks``).

Here rather than in netpulse.config.networks: reading the networks file is configuration, writing
what it says into the warehouse is the load's (configuration imports nothing above it).
"""

from __future__ import annotations

import pandas as pd

from netpulse.config.networks import Network
from netpulse.store.warehouse import registered


def stored_networks(con) -> dict[str, Network]:
    """The networks recorded in the warehouse (meta.networks)."""
    rows = con.execute(
        "select network_id, name, type, programme, started_on, timezone, quarter_start_month, configured, "
        "coalesce(priority_themes, []), earliest_date from meta.networks"
    ).fetchall()
    return {r[0]: Network(*r[:8], priority_themes=tuple(r[8]), earliest_date=r[9]) for r in rows}


def store_networks(con, networks: list[Network], stored: dict[str, Network]) -> None:
    """Record networks that are new or changed, in one statement.

    ``stored`` is what :func:`stored_networks` read. Unchanged networks are not written: an
    upsert costs ~40 ms a row, most of a run with nothing new on 200 networks.
    """
    changed = [n for n in networks if stored.get(n.network_id) != n]
    if not changed:
        return
    rows = pd.DataFrame([{
        "network_id": n.network_id, "name": n.name, "type": n.type, "programme": n.programme,
        "started_on": n.started_on, "timezone": n.timezone, "quarter_start_month": n.quarter_start_month,
        "configured": n.configured, "priority_themes": list(n.priority_themes),
        "earliest_date": n.earliest_date,
    } for n in changed])
    with registered(con, "network_rows", rows):
        con.execute(
            """
            insert or replace into meta.networks by name
            select network_id::varchar as network_id, name::varchar as name, type::varchar as type,
                programme::varchar as programme, started_on::date as started_on, timezone::varchar as timezone,
                quarter_start_month::integer as quarter_start_month, configured::boolean as configured,
                priority_themes::varchar[] as priority_themes, earliest_date::date as earliest_date,
                now()::timestamp as updated_at
            from network_rows
            """
        )
