"""Pulling from the vendors' APIs into the landing zone (docs/pulling.md).

A pull writes the raw responses it fetched as landing files, in the layouts the vendor parsers
read, so that everything a delivery goes through (manifest, hashing, validation, quarantine,
duplicates, erasure) applies to pulled data exactly as to exported files. It never opens the
warehouse: its cursors live in their own folder (``Settings.pull_state_dir``).
"""
