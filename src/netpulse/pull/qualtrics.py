"""Qualtrics: each survey's new responses, through the export-responses API, landed as its ZIP.

- ``POST /API/v3/surveys/{id}/export-responses`` (``format: csv``, ``allowContinuation``; the
  first export from ``since``, later ones with the ``continuationToken`` of the last, which
  returns only responses recorded since), then ``GET …/export-responses/{progressId}`` until
  ``status`` is ``complete``, then ``GET …/export-responses/{fileId}/file``: a ZIP holding the
  usual CSV export with its three header rows, landed as it came (the parser reads it; its
  archive limits apply like any other ZIP's).
- Cursor: the continuation token of the last export landed. An export with no responses is not
  landed, and still advances the token.
- Connection: host = the data centre's URL (``https://<id>.qualtrics.com``), password = an API
  token of a user who can see the surveys ("Access API" permission).
"""

from __future__ import annotations

import csv
import io

from netpulse.errors import DeliveryRejected, PullFailed
from netpulse.ingest.archives import BoundedZip
from netpulse.pull.context import PullContext, iso
from netpulse.pull.credentials import Credentials
from netpulse.pull.http import ApiClient, Budget, body_json, refused, short

NAME = "Qualtrics"
POLLS = 120
POLL_SECONDS = (0.5, 1.0, 2.0, 3.0, 5.0)  # waits between polls of an export, then 5 s each


def connect(spec, creds: Credentials, budget: Budget) -> ApiClient:
    token = creds.required("password", "a Qualtrics API token")
    base = spec.base_url or creds.required("host", "the data centre's URL, like https://fra1.qualtrics.com")
    return ApiClient(NAME, base.rstrip("/") + ("" if base.rstrip("/").endswith("/API/v3") else "/API/v3"),
                     budget=budget, timeout=spec.timeout_seconds, check=check, headers={"X-API-TOKEN": token},
                     min_interval=spec.min_request_interval_seconds)


def check(response, what: str, needs: str | None) -> None:
    if response.status_code < 400:
        return
    document = body_json(response)
    error = ((document or {}).get("meta") or {}).get("error") if isinstance(document, dict) else None
    message = f"{error.get('errorCode')}: {error.get('errorMessage')}" if isinstance(error, dict) else ""
    if response.status_code == 400 and "continuation" in message.lower():
        raise PullFailed(f"{NAME} refused the stored continuation token of {what} ({short(message)}): delete this "
                         "stream's cursor file to export again from 'since' (responses already loaded load nothing "
                         "twice)")
    raise refused(NAME, response, what, needs, message)


def pull_stream(ctx: PullContext, survey: str) -> None:
    client = ctx.client
    cursor = ctx.cursor(survey)
    what = f"survey {survey}"
    body: dict = {"format": "csv", "allowContinuation": True}
    if cursor:
        body["continuationToken"] = cursor["continuation_token"]
    else:
        body["startDate"] = iso(ctx.since())
    base = f"/surveys/{survey}/export-responses"
    needs = "permission to export this survey's responses (the API token's user must see the survey)"
    started = client.json("POST", base, json=body, what=f"an export of {what}", needs=needs)
    progress_id = (started.get("result") or {}).get("progressId")
    if not progress_id:
        raise PullFailed(f"{NAME} started no export of {what}", permanent=False)
    result: dict = {}
    for poll in range(POLLS):
        result = client.json("GET", f"{base}/{progress_id}", what=f"the export of {what}", needs=needs
                             ).get("result") or {}
        if result.get("status") == "complete":
            break
        if result.get("status") == "failed":
            raise PullFailed(f"{NAME} failed the export of {what}: the next run tries again", permanent=False)
        client.budget.sleep(POLL_SECONDS[min(poll, len(POLL_SECONDS) - 1)])
    else:
        raise PullFailed(f"{NAME}'s export of {what} did not complete in {POLLS} polls: the next run tries again",
                         permanent=False)
    token = result.get("continuationToken")
    if not token:
        raise PullFailed(f"{NAME} gave no continuation token for {what}: the survey's exports must allow "
                         "continuation (allowContinuation)")
    content = client.request("GET", f"{base}/{result.get('fileId')}/file", what=f"the export file of {what}",
                             needs=needs).content
    if responses_in(content, ctx) > 0:
        ctx.land(survey, f"responses-{result.get('fileId')}", content, ".zip")
    ctx.save(survey, {"continuation_token": token})


def responses_in(content: bytes, ctx: PullContext) -> int:
    """Data rows of the export's CSV (three header rows, or two in a legacy export)."""
    try:
        archive = BoundedZip(content, ctx.limits, "Qualtrics export", "not a ZIP")
        members = [info for info in archive.infos if info.filename.lower().endswith((".csv", ".tsv"))]
        if len(members) != 1:
            raise DeliveryRejected(f"it holds {len(members)} CSV files, not one")
        text = archive.read(members[0]).decode("utf-8-sig", errors="replace")
    except DeliveryRejected as problem:
        raise PullFailed(f"{NAME}'s export file is not what the API documents ({problem})", permanent=False) from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    headers = 3 if len(rows) > 2 and rows[2] and rows[2][0].lstrip().startswith("{") else 2
    return max(0, len(rows) - headers)
