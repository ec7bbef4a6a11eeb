"""Nothing outside the landing zone is read, and no file can fill memory.

A symlink leaving the landing zone is listed in meta.deliveries as quarantined, with a reason that
names the setting but not the target, and is never opened; folders that are such links are not
walked. ZIP archives (Slack exports, XLSX workbooks) are checked against InputLimits before they
are inflated, and read as counted streams. UTF-16 without a byte-order mark is read; a Slack
export laid out one folder too deep is refused, not loaded as 0 rows.
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
import zipfile

import pytest

from netpulse.config.settings import InputLimits
from netpulse.errors import DeliveryRejected
from netpulse.ingest import landing as landing_module
from netpulse.ingest.loading import ingest
from netpulse.ingest.vendors import ParseOptions, signin, slack
from tests.helpers import (
    ATTENDANCE_HEADER,
    REPO,
    attendance_row,
    make_settings,
    query,
    slack_export_zip,
    write_csv,
)

GOOD = [attendance_row("m1", "2026-01-15T10:00:00", "a@x.example")]
SECRET = [attendance_row("s1", "2026-01-20T10:00:00", "outsider@secret.example")]


@pytest.fixture
def zone(tmp_path):
    settings = make_settings(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = write_csv(outside, "n", "attendance", "secret.csv", ATTENDANCE_HEADER, SECRET)
    write_csv(settings.landing, "n", "attendance", "good.csv", ATTENDANCE_HEADER, GOOD)
    return settings, outside, secret


def outcomes(settings) -> dict:
    return {o.path: o for o in ingest(settings).outcomes}


@pytest.fixture
def opened(monkeypatch):
    """Every path the loader opens (LandingFile opens files with os.open, nothing else)."""
    paths: list[str] = []
    real = os.open

    def spy(path, flags, *args, **kwargs):
        paths.append(os.path.realpath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(landing_module.os, "open", spy)
    return paths


def test_a_symlink_to_a_file_outside_is_listed_quarantined_and_never_opened(zone, opened):
    settings, outside, secret = zone
    (settings.landing / "n" / "attendance" / "leak.csv").symlink_to(secret)
    (settings.landing / "n" / "attendance" / "passwd.csv").symlink_to("/etc/passwd")
    result = outcomes(settings)
    assert result["n/attendance/good.csv"].status == "loaded"
    for name in ("leak.csv", "passwd.csv"):
        outcome = result[f"n/attendance/{name}"]
        assert outcome.status == "quarantined"
        assert "outside the landing zone" in outcome.error
        assert "NETPULSE_ALLOW_SYMLINKS_OUTSIDE_LANDING" in outcome.error
        assert str(outside) not in outcome.error and "/etc" not in outcome.error
    assert str(secret) not in opened and "/etc/passwd" not in opened
    assert query(settings, "select count(*) from raw.attendance where email like '%secret%'") == [(0,)]


def test_a_refused_symlink_is_not_listed_again_until_it_changes(zone):
    settings, _, secret = zone
    link = settings.landing / "n" / "attendance" / "leak.csv"
    link.symlink_to(secret)
    outcomes(settings)
    assert outcomes(settings) == {}
    link.unlink()
    link.symlink_to(secret.with_name("other.csv"))
    assert outcomes(settings)["n/attendance/leak.csv"].status == "quarantined"
    assert query(settings, "select count(*) from meta.deliveries where path like '%leak.csv'") == [(2,)]


def test_folders_that_are_symlinks_outside_are_not_walked(zone, caplog):
    settings, outside, _ = zone
    (settings.landing / "m").symlink_to(outside / "n")  # a network folder
    (settings.landing / "n" / "forum").symlink_to(outside / "n" / "attendance")  # a source folder
    (settings.landing / "n" / "attendance" / "deeper").symlink_to(outside / "n")  # a folder below a source
    result = outcomes(settings)
    assert set(result) == {"n/attendance/good.csv"}
    assert "symbolic link to a folder outside the landing zone" in caplog.text
    assert query(settings, "select count(*) from raw.attendance") == [(1,)]


def test_symlinks_inside_the_landing_zone_are_read(zone):
    settings, _, _ = zone
    target = write_csv(settings.landing, "n", "attendance", "2026/feb.csv", ATTENDANCE_HEADER,
                       [attendance_row("m2", "2026-02-15T10:00:00", "b@x.example")])
    (settings.landing / "n" / "attendance" / "latest.csv").symlink_to(target)
    result = outcomes(settings)
    assert result["n/attendance/2026/feb.csv"].status == "loaded"
    assert result["n/attendance/latest.csv"].status == "duplicate"


def test_an_explicit_setting_allows_symlinks_to_mounted_storage(zone):
    settings, _, secret = zone
    settings = dataclasses.replace(settings, limits=InputLimits(allow_symlinks_outside=True))
    (settings.landing / "n" / "attendance" / "mounted.csv").symlink_to(secret)
    assert outcomes(settings)["n/attendance/mounted.csv"].status == "loaded"


def test_dangling_links_and_pipes_are_quarantined_without_blocking(zone):
    settings, _, _ = zone
    (settings.landing / "n" / "attendance" / "gone.csv").symlink_to(settings.landing / "n" / "nothing.csv")
    os.mkfifo(settings.landing / "n" / "attendance" / "pipe.csv")
    result = outcomes(settings)
    assert "target is gone" in result["n/attendance/gone.csv"].error
    assert "not a regular file" in result["n/attendance/pipe.csv"].error
    assert result["n/attendance/good.csv"].status == "loaded"


def test_a_file_swapped_for_a_link_after_listing_is_not_followed(zone):
    settings, _, secret = zone
    found = landing_module.find_landing_files(settings.landing)
    path = settings.landing / "n" / "attendance" / "good.csv"
    path.unlink()
    path.symlink_to(secret)
    with pytest.raises(OSError):
        found[0].read_bytes()


# --- Archives ------------------------------------------------------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _slack_with(extra: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(slack_export_zip())) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    return _zip({**members, **extra})


def _rejection(parse, content: bytes, limits: InputLimits | None = None) -> str:
    with pytest.raises(DeliveryRejected) as caught:
        parse(content, ParseOptions(limits=limits or InputLimits()))
    return str(caught.value)


def test_a_member_inflating_past_the_ratio_limit_is_refused_naming_the_limit():
    bomb = _slack_with({"general/2026-03-09.json": b"[" + b" " * (8 << 20) + b"]"})
    assert len(bomb) < 100_000
    reason = _rejection(slack.parse, bomb)
    assert "NETPULSE_ARCHIVE_MAX_RATIO" in reason and "ratio limit of 200" in reason


def test_member_size_member_count_and_total_limits_are_each_named():
    honest = slack_export_zip()
    assert "NETPULSE_ARCHIVE_MAX_MEMBER_BYTES" in _rejection(
        slack.parse, honest, InputLimits(archive_max_member_bytes=1000))
    assert "NETPULSE_ARCHIVE_MAX_MEMBERS" in _rejection(slack.parse, honest, InputLimits(archive_max_members=3))
    assert "NETPULSE_ARCHIVE_MAX_TOTAL_BYTES" in _rejection(
        slack.parse, honest, InputLimits(archive_max_total_bytes=5000))
    assert len(slack.parse(honest, ParseOptions())) > 0  # the default limits let an honest export through


def test_a_directory_that_understates_a_member_cannot_inflate_it():
    content = bytearray(_slack_with({"general/2026-03-09.json": b"[" + b" " * (4 << 20) + b"]"}))
    name = b"general/2026-03-09.json"
    entry = content.rfind(b"PK\x01\x02", 0, content.rfind(name))
    content[entry + 24:entry + 28] = (100).to_bytes(4, "little")  # uncompressed size: 100 bytes
    reason = _rejection(slack.parse, bytes(content))
    assert "damaged" in reason


def test_a_workbook_bomb_is_refused_before_the_reader_inflates_it():
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                 "xl/worksheets/sheet1.xml": b"<worksheet>" + b" " * (16 << 20) + b"</worksheet>"})
    reason = _rejection(signin.parse, bomb)
    assert "workbook was not opened" in reason and "NETPULSE_ARCHIVE_MAX_RATIO" in reason


def test_a_bomb_in_the_landing_zone_is_quarantined_and_the_run_goes_on(tmp_path):
    settings = make_settings(tmp_path)
    write_csv(settings.landing, "n", "attendance", "good.csv", ATTENDANCE_HEADER, GOOD)
    (settings.landing / "n" / "forum" / "slack").mkdir(parents=True)
    (settings.landing / "n" / "forum" / "slack" / "bomb.zip").write_bytes(
        _slack_with({"general/2026-03-09.json": b"[" + b" " * (8 << 20) + b"]"}))
    result = outcomes(settings)
    assert result["n/forum/slack/bomb.zip"].status == "quarantined"
    assert "NETPULSE_ARCHIVE_MAX_RATIO" in result["n/forum/slack/bomb.zip"].error
    assert result["n/attendance/good.csv"].status == "loaded"


PEAK = """
import io, resource, sys, zipfile
from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions, slack
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    archive.writestr("users.json", b"[]")
    archive.writestr("channels.json", b'[{"id": "C1", "name": "general"}]')
    with archive.open("general/2026-03-02.json", "w", force_zip64=True) as member:
        member.write(b"[")
        block = b" " * (1 << 20)
        for _ in range(1024):  # 1 GiB of JSON whitespace
            member.write(block)
        member.write(b"]")
content = buffer.getvalue()
try:
    slack.parse(content, ParseOptions())
except DeliveryRejected as exc:
    print(len(content), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, exc)
"""


def test_a_one_gibibyte_bomb_is_refused_within_bounded_memory():
    # ru_maxrss of a fresh process, in KiB on Linux: how far reading the bomb raised the peak.
    out = subprocess.run([sys.executable, "-c", PEAK], capture_output=True, text=True, check=True,
                         cwd=REPO, timeout=300).stdout.split(" ", 2)
    size, grown_kib, reason = int(out[0]), int(out[1]), out[2]
    assert size < 2_000_000
    assert "NETPULSE_ARCHIVE_MAX_MEMBER_BYTES" in reason
    assert grown_kib < 100 * 1024, f"peak memory grew by {grown_kib} KiB reading a {size}-byte bomb"


# --- Reasons that help -----------------------------------------------------------------------------

def _csv_text(rows: list[list[str]]) -> str:
    return "\r\n".join(",".join(row) for row in [ATTENDANCE_HEADER, *rows]) + "\r\n"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(tmp_path, codec):
    settings = make_settings(tmp_path)
    path = settings.landing / "n" / "attendance" / "teams.csv"
    path.parent.mkdir(parents=True)
    rows = [[str(v) for v in attendance_row("m1", "2026-01-15T10:00:00", f"p{i}@x.example")] for i in range(3)]
    path.write_bytes(_csv_text(rows).replace("p0@", "zoë@").encode(codec))
    assert outcomes(settings)["n/attendance/teams.csv"].status == "loaded"
    assert query(settings, "select count(*) from raw.attendance") == [(3,)]


def test_broken_utf16_without_a_byte_order_mark_is_named(tmp_path):
    settings = make_settings(tmp_path)
    path = settings.landing / "n" / "attendance" / "teams.csv"
    path.parent.mkdir(parents=True)
    text = _csv_text([[str(v) for v in attendance_row("m1", "2026-01-15T10:00:00", "a@x.example")]])
    path.write_bytes(text.encode("utf-16-le") + "\ud800".encode("utf-16-le", "surrogatepass"))
    error = outcomes(settings)["n/attendance/teams.csv"].error
    assert "UTF-16" in error and "byte-order mark" in error and "truncated" not in error


def test_a_slack_export_one_folder_too_deep_is_refused_not_loaded_empty():
    with zipfile.ZipFile(io.BytesIO(slack_export_zip())) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    nested = {(name if "/" not in name else f"channels/{name}"): data for name, data in members.items()}
    reason = _rejection(slack.parse, _zip(nested))
    assert "not the layout of a Slack export" in reason and "channels/general" in reason


def test_archive_limits_are_documented():
    security = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    for setting in ("NETPULSE_ARCHIVE_MAX_TOTAL_BYTES", "NETPULSE_ARCHIVE_MAX_MEMBER_BYTES",
                    "NETPULSE_ARCHIVE_MAX_RATIO", "NETPULSE_ARCHIVE_MAX_MEMBERS",
                    "NETPULSE_ALLOW_SYMLINKS_OUTSIDE_LANDING"):
        assert setting in security


def test_a_file_over_the_delivery_size_limit_is_quarantined_unopened(zone, opened):
    settings, _, _ = zone
    settings = dataclasses.replace(settings, limits=InputLimits(max_file_bytes=50_000))
    big = write_csv(settings.landing, "n", "attendance", "big.csv", ATTENDANCE_HEADER,
                    [attendance_row(f"m{i}", "2026-01-15T10:00:00", f"p{i}@x.example") for i in range(600)])
    result = outcomes(settings)
    assert "NETPULSE_MAX_FILE_BYTES" in result["n/attendance/big.csv"].error
    assert result["n/attendance/good.csv"].status == "loaded"
    assert opened.count(str(big)) == 1  # hashed once (streamed), never read whole
