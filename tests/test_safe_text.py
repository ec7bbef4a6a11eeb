"""The two text rules every output follows: cells that cannot be formulas, lines that cannot steer a terminal."""

from __future__ import annotations

import pytest

from netpulse.safe_text import inert_cell, inert_row, terminal_text, terminal_value


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_could_start_a_formula_is_quoted(text):
    assert inert_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Leeds", "", " =1", "a=b", 3, -3, 2.5, None])
def test_other_values_are_kept_as_they_are(value):
    assert inert_cell(value) == value


def test_a_row_keeps_numbers_and_quotes_text():
    assert inert_row(["=1", -1, "x"]) == ["'=1", -1, "x"]


def test_terminal_text_hides_escape_sequences_and_bidi_overrides_and_keeps_lines():
    shown = terminal_text("a\x1b[2Jb\x07\u202ecd\nnext")
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert shown == "a?[2Jb??cd\nnext"


def test_a_value_on_one_line_cannot_print_a_second_line():
    assert terminal_value("evil.csv\nnetpulse: loaded 0 rows\r") == "evil.csv?netpulse: loaded 0 rows?"
