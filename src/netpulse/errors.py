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


class PullFailed(NetpulseError):
    """A pull from a vendor's API that could not go on; the message says what to fix.

    ``permanent``: retrying cannot help (a refused key, a missing scope, a channel the app is not
    in) until someone changes something; otherwise the next run may well succeed (the vendor was
    down, the per-run bound was reached).
    """

    def __init__(self, message: str, *, permanent: bool = True):
        super().__init__(message)
        self.permanent = permanent
