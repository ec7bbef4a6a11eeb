"""Builds: the model runner, Python models, incremental builds per network."""
