"""The DuckDB warehouse: connections, locks, DDL. Imports no other netpulse module."""
