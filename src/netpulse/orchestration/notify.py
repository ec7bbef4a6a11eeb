"""Telling the data team that a task failed: the ``on_failure_callback`` of every netpulse task.

Where the message goes is set by ``NETPULSE_NOTIFY``:

- ``log`` (default): an ERROR line in the task's log (and nothing else);
- ``email:<connection id>`` or ``email:<connection id>:<to>[,<to>...]``: an e-mail through
  Airflow's SMTP connection of that id; without addresses it goes to the connection's sender;
- ``webhook:<url>``: a JSON POST of the message to the URL (Slack- and Teams-style incoming
  webhooks take the ``text`` field).

The message names the DAG, task, run, try and error, never any file content (a refusal can
quote a file's values, and those may name members).
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class FailureMessage:
    dag_id: str
    task_id: str
    run_id: str
    try_number: int | None
    error: str
    text: str


def notify_target() -> str:
    from netpulse.config.settings import notify_target as configured

    return configured()


def failure_message(context) -> FailureMessage:
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or "?"
    task_id = getattr(ti, "task_id", None) or "?"
    run_id = context.get("run_id") or getattr(ti, "run_id", None) or "?"
    error = context.get("exception")
    error_text = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
    return FailureMessage(
        dag_id=dag_id, task_id=task_id, run_id=run_id, try_number=getattr(ti, "try_number", None),
        error=error_text[:2000],
        text=f"netpulse: {dag_id}.{task_id} failed in run {run_id}: {error_text[:500]}",
    )


def notify_failure(context) -> None:
    """Airflow ``on_failure_callback``: send the failure where ``NETPULSE_NOTIFY`` says.

    A notification that cannot be delivered is logged, never raised: it must not hide the
    failure it reports.
    """
    message = failure_message(context)
    target = notify_target()
    log.error("%s", message.text)
    try:
        send(target, message)
    except Exception:  # reported in the log, the task's failure stands
        log.exception("could not deliver the failure notification to %s", _redacted(target))


def send(target: str, message: FailureMessage) -> None:
    kind, _, rest = target.partition(":")
    if kind == "log":
        return  # notify_failure logged it already
    if kind == "webhook" and rest:
        post_json(rest, asdict(message))
    elif kind == "email" and rest:
        connection_id, _, recipients = rest.partition(":")
        send_email(connection_id, [r.strip() for r in recipients.split(",") if r.strip()], message)
    else:
        raise ValueError(f"NETPULSE_NOTIFY={target!r}: expected log, email:<connection id>[:<to>,...] "
                         "or webhook:<url>")


def post_json(url: str, payload: dict) -> None:
    # The URL is the operator's NETPULSE_NOTIFY setting, not a value from a delivery.
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
        if response.status >= 300:
            raise RuntimeError(f"webhook answered {response.status}")


def send_email(connection_id: str, recipients: list[str], message: FailureMessage) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=connection_id) as smtp:
        to = recipients or [smtp.from_email]
        if not to or not to[0]:
            raise ValueError(f"no recipient: name one in NETPULSE_NOTIFY or set the sender of {connection_id}")
        smtp.send_email_smtp(to=to, subject=message.text[:150],
                             html_content=f"<pre>{_escape(json.dumps(asdict(message), indent=2))}</pre>")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _redacted(target: str) -> str:
    """A webhook URL often carries its secret in the path: log only its scheme and host."""
    kind, _, rest = target.partition(":")
    if kind == "webhook":
        parsed = urllib.parse.urlsplit(rest)
        return f"webhook:{parsed.scheme}://{parsed.netloc}/…"
    return target
