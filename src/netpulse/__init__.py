"""netpulse: engagement tracking for health and care improvement networks."""

__version__ = "0.1.0"

# Bumped whenever a change alters what an indicator means or how it is computed,
# so every build records which definitions produced its figures.
METHODOLOGY_VERSION = "2026.12-1"
