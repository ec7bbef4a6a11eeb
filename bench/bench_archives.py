"""Benchmark: peak memory reading archives, honest and hostile (docs/security.md, "Limits on input").

Each case runs in its own process and reports the file's size, what its members hold
uncompressed, the largest member's compression ratio, wall seconds and how far reading it raised
the process's peak memory (ru_maxrss):

  honest Slack export   a workspace of --messages messages over 12 channels, a day file per channel-day;
  honest workbook       a sign-in XLSX sheet of --rows rows written by openpyxl;
  Slack bomb            a 1 GiB member of JSON whitespace, deflated to about a megabyte.

Figures, not assertions.

    python bench/bench_archives.py                       # 200,000 messages, 50,000 sheet rows
    python bench/bench_archives.py --messages 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASE = r"""
import datetime, io, json, resource, sys, time, zipfile
from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions, signin, slack

kind, size = sys.argv[1], int(sys.argv[2])
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    if kind == "slack":
        users = [{"id": f"U{i:05d}", "name": f"user{i}", "real_name": f"User {i}",
                  "profile": {"email": f"user{i}@nhs.example"}} for i in range(500)]
        archive.writestr("users.json", json.dumps(users, indent=4))
        channels = [{"id": f"C{c:03d}", "name": f"channel-{c}"} for c in range(12)]
        archive.writestr("channels.json", json.dumps(channels, indent=4))
        per_day = 50
        days = max(1, size // (12 * per_day))
        for c in range(12):
            for d in range(days):
                base = 1767225600 + d * 86400
                messages = [{"type": "message", "user": f"U{(c * 7 + d + m) % 500:05d}",
                             "text": "Thanks, that audit template is really helpful for our ward " * 2,
                             "ts": f"{base + m * 60}.{m:06d}"} for m in range(per_day)]
                day = (datetime.date(2026, 1, 1) + datetime.timedelta(days=d)).isoformat()
                archive.writestr(f"channel-{c}/{day}.json", json.dumps(messages, indent=4))
    elif kind == "workbook":
        from openpyxl import Workbook
        book = Workbook()
        sheet = book.active
        sheet.append(["Meeting", "Spring network day"])
        sheet.append(["Date", "12/03/2025"])
        sheet.append(["Start", "10:00"])
        sheet.append([])
        sheet.append(["Name", "Email", "Organisation", "Signed in at", "Signed out at"])
        for i in range(size):
            sheet.append([f"Person {i}", f"person{i}@nhs.example", "Leeds Teaching Hospitals", "10:0" + str(i % 10),
                          "15:30"])
        raw = io.BytesIO()
        book.save(raw)
        buffer = raw
    else:
        archive.writestr("users.json", b"[]")
        archive.writestr("channels.json", b'[{"id": "C1", "name": "general"}]')
        with archive.open("general/2026-03-02.json", "w", force_zip64=True) as member:
            member.write(b"[")
            for _ in range(1024):
                member.write(b" " * (1 << 20))
            member.write(b"]")
content = buffer.getvalue()
with zipfile.ZipFile(io.BytesIO(content)) as archive:
    infos = archive.infolist()
inflated = sum(i.file_size for i in infos)
ratio = max(i.file_size / max(i.compress_size, 1) for i in infos)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    if kind == "workbook":
        rows = len(signin.parse(content, ParseOptions(date_order="dmy")))
    else:
        rows = len(slack.parse(content, ParseOptions()))
    outcome = f"{rows:,} rows"
except DeliveryRejected as exc:
    outcome = "refused: " + str(exc).split(":")[1].strip()[:60]
seconds = time.perf_counter() - started
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"file_mb": len(content) / 1e6, "inflated_mb": inflated / 1e6, "ratio": ratio,
                  "seconds": seconds, "peak_grown_mb": grown, "outcome": outcome}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    cases = [("honest Slack export", "slack", args.messages), ("honest workbook", "workbook", args.rows),
             ("Slack bomb (1 GiB member)", "bomb", 0)]
    print(f"{'case':28} {'file MB':>8} {'inflated MB':>12} {'max ratio':>10} {'seconds':>8} "
          f"{'peak +MB':>9}  outcome")
    for label, kind, size in cases:
        out = subprocess.run([sys.executable, "-c", CASE, kind, str(size)], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{label:28} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout)
        print(f"{label:28} {r['file_mb']:8.1f} {r['inflated_mb']:12.1f} {r['ratio']:10.1f} {r['seconds']:8.1f} "
              f"{r['peak_grown_mb']:9.0f}  {r['outcome']}")


if __name__ == "__main__":
    main()
