"""The core counts of docs/framework.md in plain pandas: the comparison point for netpulse's speed.

Reads every generic CSV of a landing zone (<landing>/<network_id>/<source>/**/*.csv) and counts,
per network x month and calendar quarter: active, new and retained members, meetings held,
attendances, forum posts and replies, survey responses. It follows docs/methodology.md where
that matters for the figures (normalised e-mails, roster aliases one link deep, the last file's row
wins, dates in the network's local time, periods from a network's first event up to the latest
event anywhere, zeros in between) but does no validation, pseudonymisation or history.

    python bench/pandas_core_counts.py LANDING_DIR [--out counts.csv]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

COUNTS = ["active_members", "new_members", "retained_members", "meetings_held", "attendances", "forum_posts",
          "forum_replies", "survey_responses"]
TRUE_WORDS = {"true", "1", "yes", "y", "t"}


def read_source(landing: Path, source: str, columns: list[str]) -> pd.DataFrame:
    """The columns wanted of every file of one source, in path order (a later file's row wins)."""
    frames = []
    for network in sorted(p for p in landing.iterdir() if p.is_dir()):
        for path in sorted((network / source).rglob("*")):
            if path.suffix.lower() == ".csv" and not path.name.startswith(".") and path.is_file():
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                    usecols=lambda c: c.strip().lower() in columns)
                frame.columns = frame.columns.str.strip().str.lower()
                frames.append(frame.assign(network_id=network.name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*columns, "network_id"], dtype=str)


def normalise(email: pd.Series) -> pd.Series:
    return email.str.strip().str.lower()


def alias_map(roster: pd.DataFrame) -> pd.Series:
    """Address -> member's primary address, from every roster's other_emails (the smallest if two claim one)."""
    if roster.empty or "other_emails" not in roster:
        return pd.Series(dtype=str)
    listed = roster.assign(alias=roster["other_emails"].str.split(";")).explode("alias")
    listed = listed.assign(alias=normalise(listed["alias"].fillna("")), member=normalise(listed["email"]))
    listed = listed[(listed["alias"] != "") & (listed["alias"] != listed["member"])]
    return listed.groupby("alias")["member"].min()


def local_dates(stamps: pd.Series, timezone: str) -> pd.Series:
    """The local calendar date of ISO 8601 timestamps; those without an offset are local already."""
    has_offset = stamps.str.contains(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)? ?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$")
    dates = pd.Series(pd.NaT, index=stamps.index, dtype="datetime64[s]")
    if has_offset.any():
        utc = pd.to_datetime(stamps[has_offset], format="ISO8601", utc=True)
        dates[has_offset] = utc.dt.tz_convert(timezone).dt.tz_localize(None).dt.floor("D").astype("datetime64[s]")
    # A naive time's date is its own date: clock changes move times within the night, never across it.
    dates[~has_offset] = pd.to_datetime(stamps[~has_offset].str[:10], format="%Y-%m-%d").astype("datetime64[s]")
    return dates


def engagement_events(landing: Path, timezone: str) -> pd.DataFrame:
    """One row per (network, member, event type, event id, local date), as core.engagement_events."""
    aliases = alias_map(read_source(landing, "roster", ["email", "other_emails"]))

    def member(email: pd.Series) -> pd.Series:
        address = normalise(email)
        return address.map(aliases).fillna(address)

    attendance = read_source(landing, "attendance", ["meeting_id", "meeting_start", "email", "status"])
    attendance["status"] = attendance["status"].str.strip().str.lower().replace("", "attended")
    attendance = attendance[attendance["status"].isin(["attended", "walk-in"])]
    attendance = attendance.assign(member=member(attendance["email"]), event_type="attendance")
    # Join segments and rejoins are one attendance per member per meeting.
    attendance = attendance.drop_duplicates(["network_id", "meeting_id", "member"], keep="last")

    forum = read_source(landing, "forum", ["post_id", "email", "created_at", "kind"])
    forum = forum.drop_duplicates(["network_id", "post_id"], keep="last")
    forum = forum.assign(member=member(forum["email"]), event_type=forum["kind"].str.strip().str.lower())

    survey = read_source(landing, "survey", ["response_id", "instrument", "submitted_at", "email", "finished"])
    survey = survey.drop_duplicates(["network_id", "response_id"], keep="last")
    survey = survey[survey["finished"].str.strip().str.lower().isin(TRUE_WORDS)]
    survey = survey.assign(member=member(survey["email"]), event_type="survey")

    events = pd.concat([
        attendance.rename(columns={"meeting_id": "event_id", "meeting_start": "stamp"}),
        forum.rename(columns={"post_id": "event_id", "created_at": "stamp"}),
        survey.rename(columns={"instrument": "event_id", "submitted_at": "stamp"}),
    ], ignore_index=True)[["network_id", "member", "event_type", "event_id", "stamp"]]
    return events.assign(local_date=local_dates(events.pop("stamp"), timezone))


def counts_for_grain(events: pd.DataFrame, grain: str) -> pd.DataFrame:
    step = 1 if grain == "month" else 3
    date = events["local_date"]
    # Periods as month numbers (year * 12 + month - 1); calendar quarters start in January.
    month = date.dt.year * 12 + date.dt.month - 1
    events = events.assign(period=month - month % step)
    keys = ["network_id", "period"]

    members = events[["network_id", "member", "period"]].drop_duplicates()
    previous = members.assign(period=members["period"] + step, retained=True)
    members = members.merge(previous, on=["network_id", "member", "period"], how="left")
    members["retained"] = members["retained"].notna()
    members["new"] = members["period"] == members.groupby(["network_id", "member"])["period"].transform("min")
    member_counts = members.groupby(keys).agg(active_members=("member", "size"), new_members=("new", "sum"),
                                              retained_members=("retained", "sum"))

    kind = events["event_type"]
    attended = events[kind == "attendance"].groupby(keys)["event_id"]
    surveys = events[kind == "survey"].drop_duplicates(["network_id", "period", "member", "event_id"])
    activity = pd.concat({
        "meetings_held": attended.nunique(),
        "attendances": attended.size(),
        "forum_posts": events[kind.isin(["topic", "reply"])].groupby(keys).size(),
        "forum_replies": events[kind == "reply"].groupby(keys).size(),
        "survey_responses": surveys.groupby(keys).size(),
    }, axis=1)

    # Every period from the network's first event to the latest event in the landing zone.
    last = events["period"].max()
    spine = pd.DataFrame([(network, period) for network, first in events.groupby("network_id")["period"].min().items()
                          for period in range(first, last + 1, step)], columns=keys)
    counts = spine.join(member_counts, on=keys).join(activity, on=keys)
    counts[COUNTS] = counts[COUNTS].fillna(0).astype(int)
    counts["period_start"] = pd.to_datetime({"year": counts["period"] // 12, "month": counts["period"] % 12 + 1,
                                             "day": 1}).dt.date
    return counts.assign(grain=grain)[["network_id", "grain", "period_start", *COUNTS]]


def core_counts(landing: Path, timezone: str = "Europe/London") -> pd.DataFrame:
    events = engagement_events(landing, timezone)
    return pd.concat([counts_for_grain(events, grain) for grain in ("month", "quarter")], ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--timezone", default="Europe/London", help="every network's time zone (netpulse's default)")
    parser.add_argument("--out", type=Path, help="write the counts to this CSV")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = core_counts(args.landing, args.timezone)
    if args.out:
        counts.to_csv(args.out, index=False)
    quarters = counts[counts["grain"] == "quarter"]
    print(f"{counts['network_id'].nunique()} networks, {len(counts):,} network periods in "
          f"{time.perf_counter() - started:.1f} s; quarter totals: "
          + ", ".join(f"{c} {quarters[c].sum():,}" for c in COUNTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
