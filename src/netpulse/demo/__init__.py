"""The demo landing zone and the demo run."""
