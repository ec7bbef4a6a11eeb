"""Credentials from Airflow connections only: the same lookup in a task and on the command line.

``airflow.sdk.Connection.get`` asks the secrets backends in Airflow's order (a secrets backend if
configured, ``AIRFLOW_CONN_<ID>`` variables, then the metadata database), so a connection made in
the UI, by ``airflow connections add`` or in the environment is found the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netpulse.errors import PullFailed


@dataclass(frozen=True)
class Credentials:
    """What a connection holds. The secret fields never appear in a repr, a log or an error."""

    conn_id: str
    host: str | None
    login: str | None
    password: str | None = field(repr=False)
    extra: dict = field(repr=False, default_factory=dict)

    def required(self, name: str, what: str) -> str:
        """A field that must be set (``login``, ``password``, ``host`` or a key of ``extra``)."""
        value = self.extra.get(name) if name not in ("host", "login", "password") else getattr(self, name)
        if not value:
            where = f"its extra field {name!r}" if name not in ("host", "login", "password") else f"its {name}"
            raise PullFailed(f"Airflow connection {self.conn_id!r}: {where} must hold {what}")
        return str(value)


def credentials(conn_id: str) -> Credentials:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        connection = Connection.get(conn_id)
    except AirflowNotFoundException:
        raise PullFailed(
            f"Airflow connection {conn_id!r} is not defined: create it in the Airflow UI (Admin > Connections), "
            f"with `airflow connections add {conn_id} ...`, or as AIRFLOW_CONN_{conn_id.upper()} "
            "(docs/pulling.md lists the fields each API needs)") from None
    extra = connection.extra_dejson if isinstance(connection.extra_dejson, dict) else {}
    return Credentials(conn_id, connection.host or None, connection.login or None, connection.password or None,
                       dict(extra))
