"""Survey exports: Qualtrics CSV/TSV and Microsoft Forms XLSX to rows of the generic format.

The Qualtrics fixtures are the same four responses exported twice: with choice text by an
account in Europe/London, and with numeric values as TSV by an account in America/Denver
(so the local times differ, the instants do not). One response is incomplete, one is a
survey preview, one has a multi-line free-text answer. Forms workbooks are written here
with openpyxl.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpulse.config.instruments import default_instrument, instrument_from_dict, load_instrument
from netpulse.config.sources import FORMATS
from netpulse.errors import DeliveryRejected
from netpulse.ingest.formats import parse_timestamps, read_delivery, type_delivery, vendor_frame
from netpulse.ingest.identity import MemberHasher
from netpulse.ingest.vendors import ParseOptions, msforms, qualtrics

FIXTURES = Path(__file__).parent / "fixtures" / "vendors" / "qualtrics"
INSTRUMENT = load_instrument(FIXTURES / "instrument.yaml")
CONTRACT = ["line_number", "response_id", "instrument", "submitted_at", "email", "finished", "display_name"]
SURVEY = FORMATS["survey"]
YMD = ParseOptions(date_order="ymd")
MDY = ParseOptions(date_order="mdy")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """An expected parser frame: text columns, missing as NA, line_number as int64."""
    expected = pd.DataFrame(rows, columns=columns).astype("string")
    expected["line_number"] = expected["line_number"].astype("int64")
    return expected


def typed(rows: pd.DataFrame, source_system: str):
    return type_delivery(vendor_frame(rows, SURVEY), SURVEY, "Europe/London", MemberHasher("k"),
                         source_system=source_system)


# -- Qualtrics ---------------------------------------------------------------------------------

ITEMS = ["q1", "q3", "q5", "q7", "q8", "q9"]
# Hand-computed from the fixtures: q8 and q9 are reverse-coded (6 - answer); "Not applicable"
# (numeric 6) and "-99" (seen but unanswered) are no answer; the survey preview is left out.
QUALTRICS_ITEMS = [
    {"q1": "5", "q3": "4", "q5": "3", "q7": "4", "q8": "4", "q9": "5"},
    {"q1": "4", "q3": None, "q5": "2", "q7": "5", "q8": "1", "q9": "2"},
    {"q1": "2", "q3": None, "q5": None, "q7": None, "q8": None, "q9": None},
]
QUALTRICS_PEOPLE = [
    {"line_number": 4, "response_id": "R_1aB2cD3eF4gH5iJ", "email": "amara.okafor@nhs.example",
     "finished": "true", "display_name": "Amara Okafor"},
    {"line_number": 5, "response_id": "R_2kL3mN4oP5qR6sT", "email": "liam.walsh@nhs.example",
     "finished": "true", "display_name": "Liam Walsh"},
    {"line_number": 6, "response_id": "R_3uV4wX5yZ6aB7cD", "email": "priya.patel@nhs.example",
     "finished": "false", "display_name": "Priya Patel"},
]


def qualtrics_expected(submitted: list[str]) -> pd.DataFrame:
    rows = [{**person, "instrument": "resp-clinical-2026", "submitted_at": at, **items}
            for person, at, items in zip(QUALTRICS_PEOPLE, submitted, QUALTRICS_ITEMS, strict=True)]
    return frame(rows, CONTRACT + ITEMS)


def test_qualtrics_choice_text_export_parses_to_the_hand_computed_rows():
    parsed = qualtrics.parse(fixture("choice-text.csv"), YMD, INSTRUMENT)
    # Row 3 says the dates are Europe/London: GMT in March, BST from 29 March 2026.
    expected = qualtrics_expected(["2026-03-12T14:03:22+00:00", "2026-04-02T09:15:00+01:00",
                                   "2026-04-10T17:24:41+01:00"])
    pd.testing.assert_frame_equal(parsed, expected)


def test_qualtrics_numeric_export_gives_the_same_scores_and_instants():
    numeric = qualtrics.parse(fixture("numeric-values.tsv"), YMD, INSTRUMENT)
    choice = qualtrics.parse(fixture("choice-text.csv"), YMD, INSTRUMENT)
    expected = qualtrics_expected(["2026-03-12T08:03:22-06:00", "2026-04-02T02:15:00-06:00",
                                   "2026-04-10T10:24:41-06:00"])
    pd.testing.assert_frame_equal(numeric, expected)
    pd.testing.assert_series_equal(parse_timestamps(numeric["submitted_at"], "Europe/London"),
                                   parse_timestamps(choice["submitted_at"], "Europe/London"))


def test_qualtrics_free_text_is_dropped():
    parsed = qualtrics.parse(fixture("choice-text.csv"), YMD, INSTRUMENT)
    cells = [str(cell) for cell in parsed.to_numpy().ravel()]
    assert not any("too many" in cell or "Pharmacist" in cell for cell in cells)
    assert "q1_4_text" not in parsed.columns and "Q5" not in parsed.columns


def test_qualtrics_without_an_instrument_gives_responses_without_items():
    parsed = qualtrics.parse(fixture("choice-text.csv"), YMD)
    assert list(parsed.columns) == CONTRACT
    assert parsed["instrument"].tolist() == ["qualtrics"] * 3


def test_qualtrics_legacy_export_with_two_header_rows():
    parsed = qualtrics.parse(fixture("legacy.csv"), YMD, INSTRUMENT)
    # No time zone in a legacy file: local time without an offset (the network's zone applies).
    expected = frame([
        {"line_number": 3, "response_id": "R_5oP6qR7sT8uV9wX", "instrument": "resp-clinical-2026",
         "submitted_at": "2016-05-03T10:04:00", "email": "amara.okafor@nhs.example", "finished": "true",
         "display_name": "Okafor, Amara", "q1": "5", "q8": "4"},
        {"line_number": 4, "response_id": "R_6yZ7aB8cD9eF0gH", "instrument": "resp-clinical-2026",
         "submitted_at": "2016-05-04T11:30:00", "email": "liam.walsh@nhs.example", "finished": "false",
         "display_name": "Walsh, Liam", "q1": "3", "q8": None},
    ], CONTRACT + ["q1", "q8"])
    pd.testing.assert_frame_equal(parsed, expected)


def test_qualtrics_oldest_legacy_export_with_v_column_ids():
    content = (
        b"V1,V2,V3,V4,V5,V6,V7,V8,V9,V10,Q2_1\n"
        b"ResponseID,ResponseSet,Name,ExternalDataReference,EmailAddress,IPAddress,Status,StartDate,EndDate,"
        b"Finished,Matrix - I know why this network exists.\n"
        b"R_1,Default Response Set,\"Okafor, Amara\",,amara.okafor@nhs.example,192.0.2.1,0,"
        b"2016-05-03 10:00:00,2016-05-03 10:04:00,1,Agree\n"
    )
    parsed = qualtrics.parse(content, YMD, INSTRUMENT)
    assert parsed[["response_id", "email", "submitted_at", "finished", "q1"]].iloc[0].tolist() == [
        "R_1", "amara.okafor@nhs.example", "2016-05-03T10:04:00", "true", "4"]


def reencoded(encoding: str, delimiter: str = ",") -> bytes:
    text = fixture("choice-text.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.mark.parametrize(("encoding", "delimiter"), [
    ("utf-8", ","), ("utf-8-sig", ","), ("utf-16", "\t"), ("utf-16", ","), ("cp1252", ","), ("utf-8", "\t"),
    ("utf-8", ";"),
])
def test_qualtrics_encodings_and_separators(encoding, delimiter):
    expected = qualtrics.parse(fixture("choice-text.csv"), YMD, INSTRUMENT)
    pd.testing.assert_frame_equal(qualtrics.parse(reencoded(encoding, delimiter), YMD, INSTRUMENT), expected)


def test_qualtrics_dates_resaved_by_excel_are_read_in_the_declared_order():
    text = fixture("choice-text.csv").decode("utf-8-sig").replace('"2026-04-02 09:15:00"', '"02/04/2026 09:15"')
    parsed = qualtrics.parse(text.encode(), ParseOptions(date_order="dmy"), INSTRUMENT)
    assert parsed["submitted_at"][1] == "2026-04-02T09:15:00+01:00"
    with pytest.raises(DeliveryRejected, match=r"row 5: EndDate '02/04/2026 09:15' is not a date and time"):
        qualtrics.parse(text.encode(), YMD, INSTRUMENT)


def lines(name: str = "choice-text.csv") -> list[str]:
    return fixture(name).decode("utf-8-sig").split("\r\n")


def rejected(content: bytes | str, instrument=INSTRUMENT, options=YMD) -> str:
    data = content.encode() if isinstance(content, str) else content
    with pytest.raises(DeliveryRejected) as caught:
        qualtrics.parse(data, options, instrument)
    return str(caught.value)


def without_line(index: int) -> str:
    kept = lines()
    del kept[index]
    return "\r\n".join(kept)


@pytest.mark.parametrize("deleted", [1, 2])
def test_qualtrics_file_missing_a_header_row_is_refused(deleted):
    assert "this looks like a Qualtrics export without its three header rows" in rejected(without_line(deleted))


def test_qualtrics_file_with_only_the_column_ids_is_refused():
    kept = lines()
    assert "without its three header rows" in rejected("\r\n".join([kept[0], *kept[3:]]))


def test_qualtrics_missing_required_columns_are_named():
    text = "\r\n".join(lines()).replace('"ResponseId"', '"ResponseNumber"').replace('"Finished"', '"Done"', 1)
    assert rejected(text).startswith("missing required column(s) ResponseId, Finished on the first row")


def test_qualtrics_export_without_end_date_uses_the_recorded_date():
    text = "\r\n".join(lines()).replace('"EndDate"', '"EndDateRemoved"', 1)
    parsed = qualtrics.parse(text.encode(), YMD, INSTRUMENT)
    assert parsed["submitted_at"].tolist() == ["2026-03-12T14:03:23+00:00", "2026-04-02T09:15:01+01:00",
                                               "2026-04-17T17:24:45+01:00"]


def test_qualtrics_answer_that_is_not_a_label_names_row_and_column():
    text = "\r\n".join(lines()).replace('"Agree","Strongly agree","Strongly agree"',
                                        '"Sometimes","Strongly agree","Strongly agree"')
    message = rejected(text)
    assert message.startswith("row 5: Q2_1 'Sometimes' is not one of the Likert labels of instrument "
                              "resp-clinical-2026 (Strongly disagree, Disagree,")


def test_qualtrics_unparseable_dates_name_the_row():
    text = "\r\n".join(lines()).replace('"2026-04-10 17:24:41"', '"last Tuesday"')
    assert rejected(text).startswith("row 6: EndDate 'last Tuesday' is not a date and time")
    text = "\r\n".join(lines()).replace('"2026-04-10 17:24:41"', '"2026-04-31 17:24:41"')
    assert rejected(text).startswith("row 6: EndDate '2026-04-31T17:24:41' is not a date and time")


def test_qualtrics_unknown_time_zone_is_refused():
    text = "\r\n".join(lines()).replace('"timeZone"":""Europe/London"', '"timeZone"":""Mars/Olympus"')
    assert "the time zone of EndDate, 'Mars/Olympus', is not a known time zone" in rejected(text)


def test_qualtrics_utc_time_zone_gives_utc_offsets():
    text = "\r\n".join(lines()).replace('"timeZone"":""Europe/London"', '"timeZone"":""UTC"')
    parsed = qualtrics.parse(text.encode(), YMD, INSTRUMENT)
    assert parsed["submitted_at"].tolist() == ["2026-03-12T14:03:22+00:00", "2026-04-02T09:15:00+00:00",
                                               "2026-04-10T17:24:41+00:00"]


def test_qualtrics_bad_finished_value_names_the_row():
    text = "\r\n".join(lines()).replace('"100","840","True"', '"100","840","Maybe"')
    assert rejected(text) == "row 5: Finished 'Maybe' is not True/False or 1/0"


def test_qualtrics_truncated_file_is_refused_naming_the_last_row():
    content = fixture("choice-text.csv")
    cut = content[:content.index(b"R_4eF5gH6iJ7kL8mN") + 40]
    assert rejected(cut).startswith("row 7 has 16 of the 26 columns of the header: the file looks truncated")


def test_qualtrics_two_columns_for_one_item_are_refused():
    text = "\r\n".join(lines()).replace(" - I feel part of this network.", " - I know why this network exists.")
    assert "columns 'Q2_1' and 'Q2_2' both hold item q1" in rejected(text)


def test_qualtrics_preview_rows_are_left_out_before_they_are_checked():
    text = "\r\n".join(lines()).replace(
        '"Survey Preview","","100","120","True","2026-03-01 10:02:00"',
        '"Survey Preview","","100","120","Perhaps","2026-03-01 10:02:00"')
    assert "Perhaps" in text
    assert len(qualtrics.parse(text.encode(), YMD, INSTRUMENT)) == 3


def test_qualtrics_question_text_with_rich_text_markup_still_matches():
    text = "\r\n".join(lines()).replace(
        "The network\u2019s work is irrelevant to my organisation.",
        "<p><strong>The network&rsquo;s work</strong> is irrelevant to my organisation.</p>")
    parsed = qualtrics.parse(text.encode(), YMD, INSTRUMENT)
    assert parsed["q9"].fillna("-").tolist() == ["5", "2", "-"]


def test_qualtrics_export_holding_no_item_of_the_instrument_is_refused():
    message = rejected(fixture("choice-text.csv"), instrument=instrument_with_texts_only())
    assert message.startswith("no column of this qualtrics export holds an item of instrument other-v1")


def instrument_with_texts_only():
    return instrument_from_dict({"id": "other-v1", "items": [
        {"id": "q1", "key_feature": "helpful_outputs", "text": "The newsletter is useful."}]})


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", "ResponseId,Finished\r\n".encode("utf-16")[:-1]])
def test_qualtrics_empty_or_broken_text_is_refused(content):
    rejected(content)


def test_qualtrics_header_rows_only_is_an_empty_delivery():
    parsed = qualtrics.parse("\r\n".join(lines()[:3]).encode(), YMD, INSTRUMENT)
    assert list(parsed.columns) == CONTRACT + ITEMS and parsed.empty


# -- Microsoft Forms ---------------------------------------------------------------------------

FORMS_HEADER = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
                "What is your role?",
                "How far do you agree with each statement about the network?.I know why this network exists.",
                "How far do you agree with each statement about the network?.I feel part of this network.",
                "How far do you agree with each statement about the network?."
                "I am unsure what this network is trying to achieve.",
                "How far do you agree with each statement about the network?.I trust other members of this network.",
                "The network\u2019s work is irrelevant to my organisation.",
                "This network helps me in my day job",
                "Anything else you would like to tell us?"]
FORMS_ROWS = [
    [1, datetime(2026, 3, 12, 13, 55, 10), datetime(2026, 3, 12, 14, 3, 22), "amara.okafor@nhs.example",
     "Amara Okafor", None, "Nurse", "Strongly agree", "Agree", "Disagree", "Neutral", "Strongly disagree",
     "Agree", "Great network, but too many emails"],
    [2, "4/2/26 09:01:00", "4/2/26 09:15:00", "liam.walsh@nhs.example", "Liam Walsh", None, "Pharmacist",
     "agree", "Strongly agree", "Strongly agree", "Disagree", "Agree", None, None],
    [3, datetime(2026, 4, 20, 8, 0, 0), datetime(2026, 4, 20, 8, 4, 30), "anonymous", None, None, None,
     4, 5.0, "1", None, None, None, None],
]


def workbook_bytes(header: list, rows: list[list], title: str = "Form1", before: list[str] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for name in before:  # other sheets ahead of the responses
        sheet.title = name
        sheet.append(["Notes"])
        sheet = workbook.create_sheet()
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _without_clock(buffer.getvalue())


def _without_clock(content: bytes) -> bytes:
    """The same workbook without the time it was saved, so equal sheets give equal bytes
    (hypothesis replays a case and expects the same file)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-04-30T00:00:00Z", data)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 4, 30, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def forms_file(tmp_path: Path, header: list = FORMS_HEADER, rows: list[list] = FORMS_ROWS, **kwargs) -> bytes:
    """The workbook written to tmp_path with openpyxl, as a coordinator would deliver it."""
    path = tmp_path / "Network survey(1-3).xlsx"
    path.write_bytes(workbook_bytes(header, rows, **kwargs))
    return path.read_bytes()


def test_msforms_export_with_text_answers_parses_to_the_hand_computed_rows(tmp_path):
    parsed = msforms.parse(forms_file(tmp_path), MDY, INSTRUMENT)
    expected = frame([
        {"line_number": 2, "response_id": "msforms-1-20260312T135510", "instrument": "resp-clinical-2026",
         "submitted_at": "2026-03-12T14:03:22", "email": "amara.okafor@nhs.example", "finished": "true",
         "display_name": "Amara Okafor", "q1": "5", "q3": "4", "q5": "3", "q7": "4", "q8": "4", "q9": "5"},
        {"line_number": 3, "response_id": "msforms-2-20260402T090100", "instrument": "resp-clinical-2026",
         "submitted_at": "2026-04-02T09:15:00", "email": "liam.walsh@nhs.example", "finished": "true",
         "display_name": "Liam Walsh", "q1": "4", "q3": None, "q5": "2", "q7": "5", "q8": "1", "q9": "2"},
        {"line_number": 4, "response_id": "msforms-3-20260420T080000", "instrument": "resp-clinical-2026",
         "submitted_at": "2026-04-20T08:04:30", "email": None, "finished": "true",
         "display_name": None, "q1": "4", "q3": None, "q5": None, "q7": "5", "q8": "5", "q9": None},
    ], CONTRACT + ITEMS)
    pd.testing.assert_frame_equal(parsed, expected)


def test_msforms_with_the_default_instrument_finds_items_by_their_text(tmp_path):
    parsed = msforms.parse(forms_file(tmp_path), MDY, default_instrument())
    assert [c for c in parsed.columns if c not in CONTRACT] == ["q1", "q5", "q7", "q8", "q9"]
    assert parsed["instrument"].unique().tolist() == ["netpulse-core-v1"]


def test_msforms_without_an_instrument_and_with_other_sheets_first(tmp_path):
    parsed = msforms.parse(forms_file(tmp_path, title="Sheet1", before=["Read me"]), MDY)
    assert list(parsed.columns) == CONTRACT
    assert parsed["instrument"].tolist() == ["msforms"] * 3
    assert parsed["line_number"].tolist() == [2, 3, 4]


def test_msforms_blank_rows_are_skipped_and_headers_matched_loosely(tmp_path):
    header = ["  id ", "START TIME", "Completion Time", "email", "name", "I know why this network exists"]
    rows = [[1, None, "12/03/2026 14:03:22", "a@nhs.example", None, "Agree"], [None] * 6, ["", "", "", "", "", ""],
            [2, None, "13/03/2026 10:00:00", "b@nhs.example", None, " Strongly agree "]]
    parsed = msforms.parse(forms_file(tmp_path, header, rows), ParseOptions(date_order="dmy"), INSTRUMENT)
    assert parsed[["line_number", "response_id", "submitted_at", "q1"]].to_dict("records") == [
        {"line_number": 2, "response_id": "msforms-1-20260312T140322", "submitted_at": "2026-03-12T14:03:22",
         "q1": "4"},
        {"line_number": 5, "response_id": "msforms-2-20260313T100000", "submitted_at": "2026-03-13T10:00:00",
         "q1": "5"},
    ]


def forms_rejected(content: bytes, options=MDY) -> str:
    with pytest.raises(DeliveryRejected) as caught:
        msforms.parse(content, options, INSTRUMENT)
    return str(caught.value)


def test_msforms_missing_required_columns_are_named(tmp_path):
    header = ["ID", "Start time", "Email address", "Name", "I know why this network exists."]
    message = forms_rejected(forms_file(tmp_path, header, [[1, None, "a@nhs.example", None, "Agree"]]))
    assert message.startswith("missing required column(s) Completion time, Email on the first row")


def test_msforms_answer_that_is_not_a_label_names_row_and_question(tmp_path):
    rows = [list(row) for row in FORMS_ROWS]
    rows[1][8] = "Sometimes"
    message = forms_rejected(forms_file(tmp_path, rows=rows))
    assert message.startswith('row 3: "How far do you agree with each statement about the network?.'
                              "I feel part of this network.\" 'Sometimes' is not one of the Likert labels")


def test_msforms_unparseable_time_names_the_row(tmp_path):
    rows = [list(row) for row in FORMS_ROWS]
    rows[2][2] = "20/04/26 08:04:30"  # day first, but the network declared month first
    message = forms_rejected(forms_file(tmp_path, rows=rows))
    assert message.startswith("row 4: Completion time '20/04/26 08:04:30' is not a date and time in the "
                              "declared order (month/day/year)")


def test_msforms_workbook_holding_no_item_of_the_instrument_is_refused(tmp_path):
    with pytest.raises(DeliveryRejected, match="no column of this msforms export holds an item of instrument other"):
        msforms.parse(forms_file(tmp_path), MDY, instrument_with_texts_only())


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.99])
def test_msforms_truncated_workbook_is_refused(tmp_path, cut):
    content = forms_file(tmp_path)
    assert "not a readable Excel workbook (.xlsx); it may be truncated" in forms_rejected(
        content[:int(len(content) * cut)])


def test_msforms_csv_instead_of_a_workbook_is_refused():
    assert "not a readable Excel workbook" in forms_rejected(b"ID,Start time,Completion time\n1,,\n")


def test_msforms_empty_sheet_is_refused(tmp_path):
    assert forms_rejected(forms_file(tmp_path, [], [])) == "the workbook's first sheet is empty (no header row)"
    header_only = forms_file(tmp_path, ["ID", "Start time"], [])
    assert forms_rejected(header_only).startswith("missing required column(s) Completion time, Email")


# -- the same responses from every source --------------------------------------------------------

# What a coordinator would deliver as a generic file for the same responses: stored scores,
# reverse-coded items already reversed (the generic loader does not read instruments).
GENERIC = """response_id,instrument,submitted_at,email,finished,q1,q3,q5,q7,q8,q9
g-1,resp-clinical-2026,2026-03-12T14:03:22+00:00,amara.okafor@nhs.example,true,5,4,3,4,4,5
g-2,resp-clinical-2026,2026-04-02T09:15:00+01:00,liam.walsh@nhs.example,true,4,,2,5,1,2
g-3,resp-clinical-2026,2026-04-10T17:24:41+01:00,priya.patel@nhs.example,false,2,,,,,
"""


def scores_by_email(delivery) -> set[tuple[str, str, int]]:
    emails = dict(zip(delivery.frame["response_id"], delivery.frame["email"], strict=True))
    return {(emails[r.response_id], r.item, int(r.answer)) for r in delivery.answers.itertuples()}


def responses_by_email(delivery) -> dict[str, tuple]:
    frame = delivery.frame
    return {row.email: (row.submitted_at, bool(row.finished)) for row in frame.itertuples()}


def test_qualtrics_forms_and_generic_exports_of_the_same_responses_give_the_same_scores(tmp_path):
    generic = type_delivery(read_delivery(GENERIC.encode(), SURVEY), SURVEY, "Europe/London", MemberHasher("k"))
    choice = typed(qualtrics.parse(fixture("choice-text.csv"), YMD, INSTRUMENT), "qualtrics")
    numeric = typed(qualtrics.parse(fixture("numeric-values.tsv"), YMD, INSTRUMENT), "qualtrics")
    # Forms exports only submitted responses: the two complete ones, at London local time.
    forms = typed(msforms.parse(forms_file(tmp_path, rows=FORMS_ROWS[:2]), MDY, INSTRUMENT), "msforms")

    assert scores_by_email(choice) == scores_by_email(generic)
    assert scores_by_email(numeric) == scores_by_email(generic)
    submitted = {(email, item, answer) for email, item, answer in scores_by_email(generic)
                 if email != "priya.patel@nhs.example"}
    assert scores_by_email(forms) == submitted
    assert responses_by_email(choice) == responses_by_email(generic) == responses_by_email(numeric)
    generic_submitted = {k: v for k, v in responses_by_email(generic).items() if k != "priya.patel@nhs.example"}
    assert responses_by_email(forms) == generic_submitted
    for delivery in (generic, choice, numeric, forms):
        assert delivery.frame["bad_values"].isna().all() and delivery.frame["bad_answers"].isna().all()


# -- properties: damaged or odd inputs parse to the contract or are refused ----------------------

# What exports hold, and (in files drawn as not clean) what they should not, so that both
# outcomes, parsed and refused, are exercised.
VALID_ANSWERS = ["Strongly agree", "agree", " Neutral ", "5", "1", "", "-99", "Not applicable", "Somewhat disagree",
                 "2", "3", "Strongly disagree", "4.0", "6"]
ANSWERS = VALID_ANSWERS + ["Sometimes", "0", "Agree, mostly", 'say "yes"']
VALID_DATES = ["2026-03-12 14:03:22", "2026-03-29 01:30:00", "2026-10-25 01:30:00", "", "2026-03-12T14:03:22Z"]
DATES = VALID_DATES + ["12/03/2026 14:03", "not a date", "2026-13-45 10:00:00"]
VALID_FINISHED = ["True", "False", "1", "0", "true"]
FINISHED = VALID_FINISHED + ["", "maybe"]
STATUS = ["IP Address", "0", "Survey Preview", "8", ""]


def assert_contract(parsed: pd.DataFrame, source_system: str) -> None:
    """The parser's frame has the contract's columns and values the generic rules can check."""
    assert list(parsed.columns[:len(CONTRACT)]) == CONTRACT
    assert parsed["line_number"].dtype == "int64"
    assert parsed["finished"].dropna().isin(["true", "false"]).all()
    for item_id in parsed.columns[len(CONTRACT):]:
        assert item_id in INSTRUMENT.item_ids
        assert parsed[item_id].dropna().isin(["1", "2", "3", "4", "5"]).all()
    typed(parsed, source_system)  # and the generic typing takes it without raising


@st.composite
def qualtrics_exports(draw) -> bytes:
    header = lines()[:3]
    width = len(next(csv.reader(io.StringIO(header[0]))))
    clean = draw(st.booleans())
    answers, dates, finished = (st.sampled_from(VALID_ANSWERS if clean else ANSWERS),
                                st.sampled_from(VALID_DATES if clean else DATES),
                                st.sampled_from(VALID_FINISHED if clean else FINISHED))
    rows = []
    for number in range(draw(st.integers(0, 4))):
        cells = [""] * width
        cells[1], cells[7] = draw(dates), draw(dates)
        cells[2], cells[6], cells[8] = draw(st.sampled_from(STATUS)), draw(finished), f"R_{number}"
        cells[11] = draw(st.sampled_from(["a@nhs.example", "", "not-an-email"]))
        cells[19:25] = [draw(answers) for _ in range(6)]
        cells[25] = draw(st.text(max_size=30))
        rows.append(cells)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=draw(st.sampled_from([",", "\t"]))).writerows(
        list(csv.reader(io.StringIO("\r\n".join(header)))) + rows)
    content = buffer.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])),
                                       errors="replace")
    return mutate(draw, content)


def mutate(draw, content: bytes) -> bytes:
    """The file as it may arrive: whole, cut short, a line lost, a byte damaged, junk added."""
    mutation = draw(st.sampled_from(["none", "none", "truncate", "drop_line", "flip_byte", "insert"]))
    if mutation == "truncate" and content:
        return content[:draw(st.integers(0, len(content) - 1))]
    if mutation == "drop_line":
        parts = content.split(b"\n")
        del parts[draw(st.integers(0, len(parts) - 1))]
        return b"\n".join(parts)
    if mutation == "flip_byte" and content:
        position = draw(st.integers(0, len(content) - 1))
        return content[:position] + bytes([draw(st.integers(0, 255))]) + content[position + 1:]
    if mutation == "insert":
        position = draw(st.integers(0, len(content)))
        return content[:position] + draw(st.binary(max_size=8)) + content[position:]
    return content


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=qualtrics_exports(), date_order=st.sampled_from(["ymd", "dmy"]))
def test_qualtrics_mutated_exports_parse_to_the_contract_or_are_refused(content, date_order):
    try:
        parsed = qualtrics.parse(content, ParseOptions(date_order=date_order), INSTRUMENT)
    except DeliveryRejected:
        return
    assert_contract(parsed, "qualtrics")


STAMPS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
VALID_CELLS = st.one_of(st.none(), st.sampled_from(["Agree", "strongly disagree", "Neutral", "3", ""]),
                        st.integers(1, 5), st.sampled_from([1.0, 5.0]))
CELLS = st.one_of(VALID_CELLS, st.sampled_from(["Sometimes", "anonymous"]), STAMPS, st.integers(-3, 8),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=15),
                  st.floats(-10, 10, allow_nan=False))
VALID_TIMES = st.one_of(STAMPS, st.sampled_from(["3/12/26 14:03:22", "2026-03-12 14:03:22"]))
TIMES = st.one_of(VALID_TIMES, st.sampled_from(["12/3/2026 14:03", "soon", None]))


@st.composite
def forms_exports(draw) -> bytes:
    header = FORMS_HEADER[:9] + ["Anything else?"]
    if draw(st.booleans()):
        header.remove(draw(st.sampled_from(header)))
    clean = draw(st.booleans())
    cells, times = (VALID_CELLS, VALID_TIMES) if clean else (CELLS, TIMES)
    emails = st.sampled_from(["a@nhs.example", "anonymous", None])
    rows = [[draw(st.integers(1, 999)), draw(times), draw(times), draw(emails), draw(CELLS)]
            + [draw(cells) for _ in header[5:]] for _ in range(draw(st.integers(0, 4)))]
    return mutate(draw, workbook_bytes(header, rows))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=forms_exports(), date_order=st.sampled_from(["mdy", "dmy"]))
def test_msforms_mutated_exports_parse_to_the_contract_or_are_refused(content, date_order):
    try:
        parsed = msforms.parse(content, ParseOptions(date_order=date_order), INSTRUMENT)
    except DeliveryRejected:
        return
    assert_contract(parsed, "msforms")
