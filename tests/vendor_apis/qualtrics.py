"""Qualtrics' response export API (v3) as documented (https://api.qualtrics.com), over loopback HTTP.

The three steps of "Getting survey responses via the new export APIs", under ``/API/v3/``:

1. ``POST surveys/{surveyId}/export-responses`` with a JSON body: ``format`` (only ``"csv"`` here),
   optional ``allowContinuation``, ``continuationToken``, ``startDate``/``endDate`` (ISO 8601 with a zone;
   ``startDate`` inclusive, ``endDate`` exclusive, on RecordedDate), ``useLabels`` (default false: choice
   answers as their recode values, as Qualtrics does; true: as choice text). The responses of the export
   are fixed when it is created. Answers ``{"result": {"progressId", "percentComplete": 0.0, "status":
   "inProgress"}, "meta": {"requestId", "httpStatus": "200 - OK"}}``.
2. ``GET surveys/{surveyId}/export-responses/{progressId}``: ``inProgress`` for ``polls_before_complete``
   polls, then ``complete`` with ``fileId`` (and ``continuationToken`` when the export asked for
   continuation, by ``allowContinuation`` or by giving a token).
3. ``GET surveys/{surveyId}/export-responses/{fileId}/file``: a ZIP holding ``<survey name>.csv``, the
   Data table export with its three header rows (column ids, question texts, import ids as JSON), UTF-8
   with a BOM, every cell quoted, as tests/fixtures/vendors/qualtrics/choice-text.csv.

Continuation: a token is an opaque string the server remembers with the sequence number of the last
response held when the export that issued it was created; an export given that token holds only the
responses added after. An unknown token answers 400.

Auth: ``X-API-TOKEN``. Missing: 400 ``ATP_2``; wrong: 401 ``AUTH_6.0``. Errors have Qualtrics' shape:
``{"meta": {"httpStatus": "401 - Unauthorized", "error": {"errorMessage", "errorCode"}, "requestId"}}``.

Columns: the survey's questions are those of tests/fixtures/api/qualtrics/surveys.json, the same ids,
texts and import ids as tests/fixtures/vendors/qualtrics/choice-text.csv, so they map to the items of
tests/fixtures/vendors/qualtrics/instrument.yaml (not config/instruments/netpulse-core-v1.yaml).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.vendor_apis.base import LoopbackApi, Request, Response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "qualtrics"
PREFIX = "/API/v3/surveys/"
TEST_TOKEN = "qualtrics-test-token"  # noqa: S105 -- what the loopback server accepts, not a secret
META_COLUMNS = (  # (column id, question text row, import id JSON)
    ("StartDate", "Start Date", "startDate"), ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"), ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"), ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"), ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"), ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
)
DATE_COLUMNS = ("StartDate", "EndDate", "RecordedDate")
STATUS_TEXT = {200: "200 - OK", 400: "400 - Bad Request", 401: "401 - Unauthorized", 404: "404 - Not Found"}


def error(status: int, message: str, code: str) -> Response:
    return Response(status, {"meta": {"httpStatus": STATUS_TEXT[status],
                                      "error": {"errorMessage": message, "errorCode": code},
                                      "requestId": str(uuid.uuid4())}})


def ok(result: dict) -> Response:
    return Response(200, {"result": result, "meta": {"requestId": str(uuid.uuid4()), "httpStatus": "200 - OK"}})


def invalid(parameter: str) -> Response:
    return error(400, f"Invalid request. Missing or invalid parameter {parameter}.", "QVal_1")


NOT_FOUND = ("The requested resource does not exist.", "RCE_3")


def _opaque(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


class QualtricsApi(LoopbackApi):
    """A Qualtrics data centre holding surveys, answering one API token."""

    SURVEY_ID = "SV_3kQ9mN2pR7tW4xZ"  # the seeded survey

    def __init__(self, api_token: str, polls_before_complete: int = 1):
        super().__init__()
        self.api_token = api_token
        self.polls_before_complete = polls_before_complete
        self.surveys: dict[str, dict] = {}      # survey id -> {name, timeZone, scales, questions, responses}
        self.exports: dict[str, dict] = {}      # progressId -> export job
        self.files: dict[str, dict] = {}        # fileId -> export job
        self.tokens: dict[str, int] = {}        # continuationToken -> sequence number it stands for
        self.sequence = 0                       # of the last response added (any survey)

    # --- seed -------------------------------------------------------------------------------------
    @classmethod
    def seeded(cls, api_token: str = TEST_TOKEN, **kwargs) -> QualtricsApi:
        """Survey SV_3kQ9mN2pR7tW4xZ of tests/fixtures/api/qualtrics with its 6 responses."""
        api = cls(api_token, **kwargs)
        api.reseed()
        return api

    def reseed(self) -> None:
        """Back to the seed data: no exports or tokens, an empty request log, no scripted failures."""
        with self.lock:
            self.surveys, self.exports, self.files, self.tokens, self.sequence = {}, {}, {}, {}, 0
            self.requests.clear()
            self.failures.clear()
            for survey in json.loads((FIXTURES / "surveys.json").read_text()):
                responses = survey.pop("responses")
                self.add_survey(**survey)
                for response in responses:
                    self.add_response(survey["id"], **response)

    # --- state helpers ----------------------------------------------------------------------------
    def add_survey(self, id: str, name: str, questions: list[dict], scales: dict | None = None,
                   timeZone: str = "Europe/London") -> dict:
        survey = {"id": id, "name": name, "timeZone": timeZone, "scales": scales or {}, "questions": questions,
                  "responses": []}
        with self.lock:
            self.surveys[id] = survey
        return survey

    def add_response(self, survey_id: str = "SV_3kQ9mN2pR7tW4xZ", *, ResponseId: str | None = None,
                     RecipientEmail: str = "", RecipientFirstName: str = "", RecipientLastName: str = "",
                     StartDate: str, EndDate: str, RecordedDate: str | None = None, Finished: str | bool = "True",
                     Status: str = "IP Address", Progress: str = "100", IPAddress: str = "192.0.2.50",
                     DistributionChannel: str = "email", UserLanguage: str = "EN-GB",
                     answers: dict[str, str] | None = None, **other: str) -> dict:
        """A response (dates as local text in the survey's zone, "2026-04-20 10:00:00"; answers by column
        id, as choice text); returns it. Duration is derived; ``other`` sets any other metadata column."""
        with self.lock:
            survey = self.surveys[survey_id]
            self.sequence += 1
            finished = ("True" if Finished else "False") if isinstance(Finished, bool) else Finished
            start, end = (datetime.fromisoformat(d) for d in (StartDate, EndDate))
            response = {
                "StartDate": StartDate, "EndDate": EndDate, "Status": Status, "IPAddress": IPAddress,
                "Progress": Progress, "Duration (in seconds)": str(int((end - start).total_seconds())),
                "Finished": finished, "RecordedDate": RecordedDate or EndDate,
                "ResponseId": ResponseId or "R_" + _opaque(survey_id, self.sequence)[:15],
                "RecipientLastName": RecipientLastName, "RecipientFirstName": RecipientFirstName,
                "RecipientEmail": RecipientEmail, "ExternalReference": "", "LocationLatitude": "",
                "LocationLongitude": "", "DistributionChannel": DistributionChannel, "UserLanguage": UserLanguage,
                **other, "answers": dict(answers or {}), "_sequence": self.sequence,
            }
            unknown = set(response["answers"]) - {q["id"] for q in survey["questions"]}
            if unknown:
                raise KeyError(f"survey {survey_id} has no column(s) {sorted(unknown)}")
            survey["responses"].append(response)
            return response

    def responses(self, survey_id: str = "SV_3kQ9mN2pR7tW4xZ") -> list[dict]:
        return self.surveys[survey_id]["responses"]

    # --- HTTP -------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        token = request.headers.get("X-API-TOKEN")
        if token is None:
            return error(400, "Expected authorization in headers, but none provided.", "ATP_2")
        if token != self.api_token:
            return error(401, "Unrecognized X-API-TOKEN.", "AUTH_6.0")
        if not request.path.startswith(PREFIX):
            return error(404, *NOT_FOUND)
        parts = request.path[len(PREFIX):].strip("/").split("/")
        survey = self.surveys.get(parts[0])
        if survey is None or len(parts) < 2 or parts[1] != "export-responses":
            return error(404, *NOT_FOUND)
        if len(parts) == 2 and request.method == "POST":
            return self._create(survey, request)
        if len(parts) == 3 and request.method == "GET":
            return self._progress(survey, parts[2])
        if len(parts) == 4 and parts[3] == "file" and request.method == "GET":
            return self._file(survey, parts[2])
        return error(404, *NOT_FOUND)

    def _instant(self, value: object) -> datetime | None:
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else None

    def _create(self, survey: dict, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return invalid("Request")
        if not isinstance(body, dict):
            return invalid("Request")
        if body.get("format") != "csv":
            return invalid("format")
        zone = ZoneInfo(survey["timeZone"])
        window = {}
        for key in ("startDate", "endDate"):
            if key in body:
                window[key] = self._instant(body[key])
                if window[key] is None:
                    return invalid(key)
        after = 0
        if "continuationToken" in body:
            if body["continuationToken"] not in self.tokens:
                return invalid("continuationToken")
            after = self.tokens[body["continuationToken"]]
        chosen = []
        for response in survey["responses"]:
            recorded = datetime.fromisoformat(response["RecordedDate"]).replace(tzinfo=zone)
            if response["_sequence"] <= after:
                continue
            if "startDate" in window and recorded < window["startDate"]:
                continue
            if "endDate" in window and recorded >= window["endDate"]:
                continue
            chosen.append(dict(response))
        progress_id = "ES_" + _opaque("progress", len(self.exports), survey["id"])[:15]
        job = {"progressId": progress_id, "survey": survey["id"], "responses": chosen,
               "useLabels": bool(body.get("useLabels", False)), "polls": 0,
               "fileId": _opaque("file", progress_id)[:36] + "-def", "continuationToken": None}
        if body.get("allowContinuation") or "continuationToken" in body:
            token = _opaque("token", progress_id, self.sequence)[:40]
            self.tokens[token] = self.sequence
            job["continuationToken"] = token
        self.exports[progress_id] = job
        return ok({"progressId": progress_id, "percentComplete": 0.0, "status": "inProgress"})

    def _progress(self, survey: dict, progress_id: str) -> Response:
        job = self.exports.get(progress_id)
        if job is None or job["survey"] != survey["id"]:
            return error(404, *NOT_FOUND)
        if job["polls"] < self.polls_before_complete:
            job["polls"] += 1
            percent = round(100.0 * job["polls"] / (self.polls_before_complete + 1), 1)
            return ok({"percentComplete": percent, "status": "inProgress"})
        self.files[job["fileId"]] = job
        result = {"fileId": job["fileId"], "percentComplete": 100.0, "status": "complete"}
        if job["continuationToken"]:
            result["continuationToken"] = job["continuationToken"]
        return ok(result)

    def _file(self, survey: dict, file_id: str) -> Response:
        job = self.files.get(file_id)
        if job is None or job["survey"] != survey["id"]:
            return error(404, *NOT_FOUND)
        content = io.BytesIO()
        with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{survey['name']}.csv", self.csv(survey, job["responses"], job["useLabels"]))
        headers = {"Content-Type": "application/octet-stream",
                   "Content-Disposition": f'attachment; filename="{survey["name"]}.zip"'}
        return Response(200, content.getvalue(), headers)

    @staticmethod
    def csv(survey: dict, responses: list[dict], use_labels: bool = True) -> bytes:
        """The Data table CSV export of these responses (UTF-8 with BOM, three header rows)."""
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        zone = survey["timeZone"]
        imports = [{"ImportId": import_id, **({"timeZone": zone} if column in DATE_COLUMNS else {})}
                   for column, _, import_id in META_COLUMNS]
        imports += [{"ImportId": q["importId"]} for q in survey["questions"]]
        writer.writerow([c for c, _, _ in META_COLUMNS] + [q["id"] for q in survey["questions"]])
        writer.writerow([t for _, t, _ in META_COLUMNS] + [q["text"] for q in survey["questions"]])
        writer.writerow([json.dumps(i, separators=(",", ":")) for i in imports])
        for response in responses:
            row = [response.get(column, "") for column, _, _ in META_COLUMNS]
            for question in survey["questions"]:
                answer = response["answers"].get(question["id"], "")
                if answer and not use_labels and "scale" in question:
                    codes = {label: code for code, label in survey["scales"][question["scale"]].items()}
                    answer = codes[answer]
                row.append(answer)
            writer.writerow(row)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
