"""One row per item of every survey instrument (shipped and the configuration folder's): its key feature."""

from __future__ import annotations

from netpulse.build.python_runtime import instrument_items, materialise


def build(con, context) -> None:
    materialise(con, "staging.int_instrument_items", instrument_items(),
                {"instrument": "varchar", "item": "varchar", "key_feature": "varchar"})
