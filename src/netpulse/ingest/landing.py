"""The landing zone: files under ``<landing>/<network_id>/<source>/...``."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from netpulse.config.networks import NETWORK_ID_PATTERN
from netpulse.config.sources import FORMAT_SUFFIXES, GENERIC, SOURCES

log = logging.getLogger(__name__)

# The reason a symlink leaving the landing zone is refused: it names the setting, never the target
# (the target's path is the machine's business, not the manifest's).
OUTSIDE = ("a symbolic link to a file outside the landing zone: netpulse reads only the landing zone, "
           "so it was not opened; copy the file into the landing zone, or set "
           "NETPULSE_ALLOW_SYMLINKS_OUTSIDE_LANDING=true if your storage is mounted that way")
DANGLING = "a symbolic link to nothing (its target is gone): deliver the file itself"
NOT_REGULAR = "not a regular file (a pipe, socket or device) and not opened: deliver the file itself"


class NotARegularFile(OSError):
    """What was a regular file when the landing zone was listed is not one when it is opened."""


@dataclass(frozen=True)
class LandingFile:
    path: Path  # what is opened: the file, or an accepted symlink's resolved target
    relative_path: str
    network_id: str
    source: str
    format: str  # "generic" or a vendor format folder name
    size_bytes: int
    modified_at: datetime
    # Why this file is listed but never opened (a symlink leaving the landing zone...), or None.
    refusal: str | None = None
    link_target: str = ""

    def read_bytes(self) -> bytes:
        with self._open() as handle:
            return handle.read()

    def sha256(self) -> str:
        if self.refusal is not None:
            # A refused file is never opened; its manifest entry changes when its link does.
            return hashlib.sha256(f"refused:{self.relative_path}:{self.link_target}".encode()).hexdigest()
        digest = hashlib.sha256()
        with self._open() as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def _open(self):
        """Open without following a link that appeared since the listing, and never block on a pipe."""
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise NotARegularFile(f"{self.relative_path}: {NOT_REGULAR}")
        return os.fdopen(fd, "rb")


def format_of(source_dir: Path, path: Path) -> str:
    """The export format of a file: its first folder below the source, if that names a format.

    A file directly under ``<source>/``, under ``<source>/generic/`` or under any other
    folder (``attendance/2026/q1.csv``) is in the generic format. A vendor folder under the
    wrong source (``forum/zoom/``) keeps its name, so the loader can reject it by name.
    """
    parts = path.relative_to(source_dir).parts
    if len(parts) > 1 and parts[0] in FORMAT_SUFFIXES:
        return parts[0]
    return GENERIC


@dataclass(frozen=True)
class _Found:
    path: Path  # the link's own path (what the manifest names)
    target: Path  # what is opened
    stat: os.stat_result
    refusal: str | None = None
    link_target: str = ""


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _symlink(path: Path, root: Path, allow_outside: bool) -> _Found:
    """A symlinked file: accepted when it resolves to a regular file inside the landing zone."""
    link_target = os.readlink(path)
    target = Path(os.path.realpath(path))
    if not _inside(target, root) and not allow_outside:
        return _Found(path, path, path.lstat(), OUTSIDE, link_target)
    try:
        target_stat = target.stat()
    except OSError:
        return _Found(path, path, path.lstat(), DANGLING, link_target)
    if not stat.S_ISREG(target_stat.st_mode):
        return _Found(path, path, path.lstat(), NOT_REGULAR, link_target)
    return _Found(path, target, target_stat)


def _files_under(folder: Path, root: Path, allow_outside: bool) -> list[_Found]:
    """Every visible file below ``folder``, in path order; symlinks judged by where they lead.

    os.scandir, not Path.rglob: a run with nothing new is mostly this walk, over thousands of files.
    Folder symlinks below a source are never walked (they could leave the landing zone or loop).
    """
    found = []
    stack = [folder]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path = Path(entry.path)
                if entry.is_symlink():
                    if os.path.isdir(path):
                        log.warning("not walking %s: a symbolic link to a folder", path)
                        continue
                    found.append(_symlink(path, root, allow_outside))
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(path)
                elif entry.is_file(follow_symlinks=False):
                    found.append(_Found(path, path, entry.stat(follow_symlinks=False)))
                else:
                    found.append(_Found(path, path, entry.stat(follow_symlinks=False), NOT_REGULAR))
    return sorted(found, key=lambda item: item.path)


def _folders(parent: Path, root: Path, allow_outside: bool) -> list[Path]:
    """The folders of ``parent``; one that is a symlink leaving the landing zone is not walked."""
    folders = []
    for path in sorted(p for p in parent.iterdir() if p.is_dir()):
        if path.is_symlink() and not allow_outside and not _inside(Path(os.path.realpath(path)), root):
            log.warning("not reading %s: it is a symbolic link to a folder outside the landing zone "
                        "(set NETPULSE_ALLOW_SYMLINKS_OUTSIDE_LANDING=true if your storage is mounted "
                        "that way)", path)
            continue
        folders.append(path)
    return folders


def find_landing_files(landing: Path, sources: tuple[str, ...] = SOURCES, *,
                       allow_symlinks_outside: bool = False) -> list[LandingFile]:
    """Every data file in the landing zone for the given sources, in a stable order.

    Files in unexpected places are reported, not guessed at. A symlink that leaves the landing
    zone (or leads nowhere, or to a pipe or device) is listed with its refusal, never opened.
    """
    if not landing.is_dir():
        return []
    root = Path(os.path.realpath(landing))
    found = []
    for network_dir in _folders(landing, root, allow_symlinks_outside):
        if not NETWORK_ID_PATTERN.match(network_dir.name):
            log.warning("ignoring %s: not a valid network id folder", network_dir)
            continue
        for source_dir in _folders(network_dir, root, allow_symlinks_outside):
            if source_dir.name not in SOURCES:
                log.warning("ignoring %s: source must be one of %s", source_dir, ", ".join(SOURCES))
                continue
            if source_dir.name not in sources:
                continue
            for item in _files_under(source_dir, root, allow_symlinks_outside):
                path = item.path
                export_format = format_of(source_dir, path)
                suffixes = FORMAT_SUFFIXES[export_format]
                if path.suffix.lower() not in suffixes:
                    log.warning("ignoring %s: %s files are read from %s", path, export_format, ", ".join(suffixes))
                    continue
                found.append(
                    LandingFile(
                        path=item.target,
                        relative_path=path.relative_to(landing).as_posix(),
                        network_id=network_dir.name,
                        source=source_dir.name,
                        format=export_format,
                        size_bytes=item.stat.st_size,
                        modified_at=datetime.fromtimestamp(item.stat.st_mtime, UTC).replace(tzinfo=None),
                        refusal=item.refusal,
                        link_target=item.link_target,
                    )
                )
    return found
