"""Pure functions on frames: graph measures, key-feature scores, stages, warning signs."""
