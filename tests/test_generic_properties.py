"""Property: whatever bytes arrive, the generic reader and typer either give rows or say why not.

Never any exception other than DeliveryRejected, whose message a coordinator can act on.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpulse.config.sources import FORMATS
from netpulse.errors import DeliveryRejected
from netpulse.ingest.formats import read_delivery, type_delivery
from netpulse.ingest.identity import MemberHasher
from tests.helpers import ATTENDANCE_HEADER

GOOD = ("\n".join([
    ",".join(ATTENDANCE_HEADER),
    "m1,Kick-off,2026-01-15T10:00:00,2026-01-15T11:00:00,a@x.example,A,2026-01-15T10:00:00,2026-01-15T11:00:00,host,",
    "m1,Kick-off,2026-01-15T10:00:00,2026-01-15T11:00:00,b@x.example,B,,,,registered",
]) + "\n").encode()

HASHER = MemberHasher("k")


def read_and_type(content: bytes) -> pd.DataFrame | None:
    fmt = FORMATS["attendance"]
    try:
        frame = read_delivery(content, fmt)
    except DeliveryRejected as exc:
        assert str(exc), "a rejection must say why"  # noqa: PT017 - a property: it may or may not raise
        return None
    typed = type_delivery(frame, fmt, "Europe/London", HASHER).frame
    assert {"line_number", "email_hash", "bad_values", "person"} <= set(typed.columns)
    return typed


mutations = st.one_of(
    st.integers(0, len(GOOD)).map(lambda cut: GOOD[:cut]),                                   # truncation
    st.tuples(st.integers(0, len(GOOD) - 1), st.binary(min_size=1, max_size=8)).map(
        lambda t: GOOD[:t[0]] + t[1] + GOOD[t[0] + 1:]),                                        # garbled bytes
    st.tuples(st.integers(0, len(GOOD) - 1), st.integers(1, 40)).map(
        lambda t: GOOD[:t[0]] + GOOD[t[0] + t[1]:]),                                            # deleted run
    st.sampled_from([b",;\t", b"\xff\xfe", b"\xef\xbb\xbf", b"\n\n\n", b'"', GOOD * 2]),
    st.binary(max_size=200),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations)
def test_mutated_deliveries_are_read_or_rejected_with_a_reason(content):
    read_and_type(content)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30), min_size=10, max_size=10))
def test_any_cell_text_is_typed_without_raising(cells):
    row = ",".join('"' + c.replace('"', '""') + '"' for c in cells)
    content = (",".join(ATTENDANCE_HEADER) + "\n" + row + "\n").encode()
    typed = read_and_type(content)
    if typed is not None:
        assert len(typed) <= 1
