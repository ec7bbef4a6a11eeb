"""Errors a user can cause, each with a message that says what to do about it.

The command line prints these as one line and exits non-zero; anything else is a bug
and keeps its traceback.
"""


class NetpulseError(Exception):
    """An error caused by input or environment, not by netpulse itself."""


class DeliveryRejected(NetpulseError):
    """A landing file that cannot be loaded; it is quarantined with this reason.

    ``source_columns``, when known, is the export's header, so that a rejection caused by a
    vendor changing its columns is also recorded as schema drift.
    """

    def __init__(self, message: str, source_columns: list[str] | None = None):
        super().__init__(message)
        self.source_columns = source_columns


class UnknownNetwork(NetpulseError):
    pass


class WarehouseLocked(NetpulseError):
    pass


class ConfigError(NetpulseError):
    pass
