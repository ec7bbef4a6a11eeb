"""Reading and typing the generic CSV formats."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import pandas as pd
import pytest

from netpulse.config.sources import FORMATS
from netpulse.errors import DeliveryRejected
from netpulse.ingest.formats import parse_timestamps, read_delivery, type_delivery
from netpulse.ingest.identity import MemberHasher, normalise_email
from tests.helpers import ATTENDANCE_HEADER, ROSTER_HEADER, SURVEY_HEADER, write_csv


@pytest.mark.parametrize("text, expected_utc", [
    ("2026-01-15T10:00:00", datetime(2026, 1, 15, 10, 0)),       # GMT: local = UTC
    ("2026-06-15T10:00:00", datetime(2026, 6, 15, 9, 0)),        # BST: one hour ahead of UTC
    ("2026-06-15T10:00:00+02:00", datetime(2026, 6, 15, 8, 0)),  # an explicit offset wins
    ("2026-06-15T10:00:00Z", datetime(2026, 6, 15, 10, 0)),
    ("2026-03-29T01:30:00", datetime(2026, 3, 29, 1, 0)),        # spring gap: moved to 02:00 BST
    ("2026-10-25T01:30:00", datetime(2026, 10, 25, 0, 30)),      # autumn repeat: first (BST) 01:30
])
def test_timestamps_without_offset_are_read_in_the_networks_time_zone(text, expected_utc):
    parsed = parse_timestamps(pd.Series([text], dtype="string"), "Europe/London")
    assert parsed.iloc[0] == pd.Timestamp(expected_utc)


def test_a_network_in_another_time_zone_reads_its_own_local_time():
    parsed = parse_timestamps(pd.Series(["2026-01-15T10:00:00"], dtype="string"), "America/New_York")
    assert parsed.iloc[0] == pd.Timestamp("2026-01-15T15:00:00")


def test_unparseable_values_are_described_per_row_not_raised(tmp_path):
    path = write_csv(tmp_path, "n", "attendance", "a.csv", ATTENDANCE_HEADER, [
        ["m1", "t", "2026-01-15T10:00:00", "15/01/2026 11:00", "a@x.example", "A",
         "2026-01-15T10:00:00", "yesterday", "", ""],
    ])
    typed = type_delivery(read_delivery(path, FORMATS["attendance"]), FORMATS["attendance"],
                          "Europe/London", MemberHasher("k"))
    assert typed.frame["bad_values"].iloc[0] == "meeting_end='15/01/2026 11:00'; left_at='yesterday'"


def test_missing_columns_are_named_and_extra_columns_ignored(tmp_path):
    path = write_csv(tmp_path, "n", "attendance", "a.csv",
                     [c for c in ATTENDANCE_HEADER if c not in ("role", "status")] + ["Duration"], [])
    with pytest.raises(DeliveryRejected, match=r"missing required column\(s\) role, status"):
        read_delivery(path, FORMATS["attendance"])
    path = write_csv(tmp_path, "n", "attendance", "b.csv", [" Meeting_ID "] + ATTENDANCE_HEADER[1:] + ["Duration"],
                     [attendance_row_text()])
    typed = type_delivery(read_delivery(path, FORMATS["attendance"]), FORMATS["attendance"],
                          "Europe/London", MemberHasher("k"))
    assert typed.ignored_columns == ("duration",)
    assert "duration" not in typed.frame.columns


def attendance_row_text() -> list[str]:
    return ["m1", "t", "2026-01-15T10:00:00", "2026-01-15T11:00:00", "a@x.example", "A",
            "2026-01-15T10:00:00", "2026-01-15T11:00:00", "", ""]


def test_blank_role_and_status_take_their_defaults(tmp_path):
    path = write_csv(tmp_path, "n", "attendance", "a.csv", ATTENDANCE_HEADER, [attendance_row_text()])
    typed = type_delivery(read_delivery(path, FORMATS["attendance"]), FORMATS["attendance"],
                          "Europe/London", MemberHasher("k"))
    assert (typed.frame["role"].iloc[0], typed.frame["status"].iloc[0]) == ("attendee", "attended")


def test_survey_items_become_long_form_and_non_likert_answers_are_flagged(tmp_path):
    path = write_csv(tmp_path, "n", "survey", "s.csv", SURVEY_HEADER + ["q1", "q2", "q3"], [
        ["r1", "core", "2026-03-05T09:00:00", "a@x.example", "true", "4", "", "5"],
        ["r2", "core", "2026-03-05T09:00:00", "b@x.example", "no", "7", "great", "1"],
    ])
    typed = type_delivery(read_delivery(path, FORMATS["survey"]), FORMATS["survey"],
                          "Europe/London", MemberHasher("k"))
    answers = typed.answers.sort_values(["response_id", "item"])
    assert list(answers.itertuples(index=False, name=None)) == [("r1", "q1", 4), ("r1", "q3", 5), ("r2", "q3", 1)]
    assert typed.frame["bad_answers"].tolist()[0] is pd.NA
    assert typed.frame["bad_answers"].tolist()[1] == "q1='7'; q2='great'"
    assert typed.frame["finished"].tolist() == [True, False]


def test_roster_aliases_are_hashed_like_any_other_address(tmp_path):
    path = write_csv(tmp_path, "n", "roster", "r.csv", ROSTER_HEADER, [
        ["a@x.example", "A", "", "", "", "", "", "", "", " A.Alt@Home.example ;a.third@x.example"],
    ])
    hasher = MemberHasher("k")
    typed = type_delivery(read_delivery(path, FORMATS["roster"]), FORMATS["roster"], "Europe/London", hasher)
    assert typed.frame["other_email_hashes"].iloc[0] == [hasher.hash_one("a.alt@home.example"),
                                                        hasher.hash_one("a.third@x.example")]


def test_member_keys_are_hmac_sha256_of_the_normalised_address():
    assert normalise_email("  Jane.Doe@NHS.Example ") == "jane.doe@nhs.example"
    expected = hmac.new(b"secret", b"jane.doe@nhs.example", hashlib.sha256).hexdigest()
    assert MemberHasher("secret").hash_one(" Jane.Doe@NHS.Example") == expected
    assert MemberHasher("other").hash_one("jane.doe@nhs.example") != expected
    hashed = MemberHasher("secret").hash_series(pd.Series(["Jane.Doe@nhs.example", None, "x@y.example"]))
    assert hashed.iloc[0] == expected and pd.isna(hashed.iloc[1])


GENERIC_ROW = ["m1", "t", "2026-01-15T10:00:00", "2026-01-15T11:00:00", "a@x.example", "Zoë",
               "2026-01-15T10:00:00", "2026-01-15T11:00:00", "", ""]


@pytest.mark.parametrize("encoding, delimiter", [
    ("utf-8", ","), ("utf-8-sig", ","), ("utf-16", "\t"), ("cp1252", ";"), ("utf-8", "\t"),
])
def test_spreadsheet_encodings_and_delimiters_read_the_same(encoding, delimiter):
    text = "\r\n".join(delimiter.join(row) for row in (ATTENDANCE_HEADER, GENERIC_ROW)) + "\r\n"
    frame = read_delivery(text.encode(encoding), FORMATS["attendance"])
    assert frame.iloc[0].fillna("").tolist() == GENERIC_ROW
    assert frame.iloc[0]["name"] == "Zoë"


def test_a_header_repeated_inside_the_table_is_skipped_and_lines_still_point_at_the_file():
    second = GENERIC_ROW[:4] + ["b@x.example"] + GENERIC_ROW[5:]
    lines = [ATTENDANCE_HEADER, GENERIC_ROW, ATTENDANCE_HEADER, second]
    frame = read_delivery("\n".join(",".join(r) for r in lines).encode(), FORMATS["attendance"])
    typed = type_delivery(frame, FORMATS["attendance"], "Europe/London", MemberHasher("k"))
    assert typed.frame["line_number"].tolist() == [2, 4]
    assert typed.frame["email"].tolist() == ["a@x.example", "b@x.example"]
