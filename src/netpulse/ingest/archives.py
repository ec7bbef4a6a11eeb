"""ZIP archives (Slack exports, XLSX workbooks) read within limits, so memory stays bounded.

A ZIP of a megabyte can declare, or inflate to, gigabytes. Before anything is inflated the central
directory is checked against :class:`~netpulse.config.settings.InputLimits` (member count, each
member's and the total uncompressed size, each member's compression ratio); members are then read
as streams, counting what they really inflate to, because a directory can lie. A file that breaks
a limit is quarantined with the limit and the setting that raises it named.

zipfile stops a member at its declared size (and fails its CRC check beyond it), so the counted
read is a second line, not the only one.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from netpulse.config.settings import InputLimits
from netpulse.errors import DeliveryRejected

# What a damaged archive raises, from zipfile itself and from the decompressors under it.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError,
              RuntimeError, ValueError, OSError, struct.error, OverflowError)
# A member this small cannot fill memory, whatever its ratio (a sheet of one repeated style
# compresses far beyond any honest ratio limit, and is harmless).
RATIO_FLOOR_BYTES = 1 << 20
CHUNK = 1 << 20


class ArchiveLimitExceeded(DeliveryRejected):
    """The archive breaks one of the InputLimits; the message names the limit and its setting."""


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _broken(what: str, detail: str, setting: str) -> ArchiveLimitExceeded:
    return ArchiveLimitExceeded(
        f"the {what} was not opened: {detail} ({setting}); a file this large or this compressed is "
        f"refused so that memory stays bounded: split the export, or raise {setting} if it is genuine"
    )


def check_directory(infos: list[zipfile.ZipInfo], limits: InputLimits, what: str) -> None:
    """Refuse an archive whose central directory already breaks a limit."""
    if len(infos) > limits.archive_max_members:
        raise _broken(what, f"it holds {len(infos):,} members, over the limit of {limits.archive_max_members:,}",
                      "NETPULSE_ARCHIVE_MAX_MEMBERS")
    total = 0
    for info in infos:
        _check_member(info.file_size, info.compress_size, limits, what)
        total += info.file_size
        if total > limits.archive_max_total_bytes:
            raise _broken(what, f"it declares more than {_size(limits.archive_max_total_bytes)} uncompressed, "
                                "over the total limit", "NETPULSE_ARCHIVE_MAX_TOTAL_BYTES")


def _check_member(size: int, compressed: int, limits: InputLimits, what: str) -> None:
    if size > limits.archive_max_member_bytes:
        raise _broken(what, f"one member is {_size(size)} uncompressed, over the per-member limit of "
                            f"{_size(limits.archive_max_member_bytes)}", "NETPULSE_ARCHIVE_MAX_MEMBER_BYTES")
    if size > RATIO_FLOOR_BYTES and size > limits.archive_max_ratio * max(compressed, 1):
        raise _broken(what, f"one member inflates {size // max(compressed, 1):,} times "
                            f"({_size(compressed)} to {_size(size)}), over the ratio limit of "
                            f"{limits.archive_max_ratio}", "NETPULSE_ARCHIVE_MAX_RATIO")


class BoundedZip:
    """A ZIP whose directory passed the limits, its members read as counted streams."""

    def __init__(self, content: bytes, limits: InputLimits, what: str, unreadable: str):
        self.limits, self.what = limits, what
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(content))
            self.infos = self.archive.infolist()
        except ZIP_ERRORS:
            raise DeliveryRejected(unreadable) from None
        check_directory(self.infos, limits, what)
        self.inflated = 0

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes; refused as soon as what it inflates to breaks a limit."""
        out = io.BytesIO()
        read = 0
        with self.archive.open(info) as stream:
            while block := stream.read(CHUNK):
                read += len(block)
                self.inflated += len(block)
                _check_member(read, info.compress_size, self.limits, self.what)
                if self.inflated > self.limits.archive_max_total_bytes:
                    raise _broken(self.what, f"it inflates to more than {_size(self.limits.archive_max_total_bytes)}, "
                                             "over the total limit", "NETPULSE_ARCHIVE_MAX_TOTAL_BYTES")
                out.write(block)
        return out.getvalue()


def check_workbook(content: bytes, limits: InputLimits) -> None:
    """Refuse an .xlsx (a ZIP of XML parts) whose directory breaks a limit, before a reader inflates it.

    Not a ZIP at all is left to the workbook reader, whose own message says so.
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except ZIP_ERRORS:
        return
    check_directory(infos, limits, "workbook")
