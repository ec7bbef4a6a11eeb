"""Configuration: settings from the environment (the only reader of NETPULSE_*), networks, instruments."""
