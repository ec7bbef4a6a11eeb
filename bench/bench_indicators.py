"""Benchmark: the build of the indicator layer for one large clinical network.

Writes a synthetic landing zone for ONE network (by default 5,000 members over five years) in
the generic CSV formats of docs/formats.md, shaped like a real large network so that the
interaction graph and the indicators have something to chew on:

  roster      one file: ~60 organisations in six sectors plus patients and carers, professions,
              four regions, joins spread over the years, ~8% leavers, a few alternative addresses;
  attendance  one file a quarter: ~40 meetings a month from recurring series (working groups,
              regional huddles, communities of practice, boards; most 8-40 attendees) and a
              monthly webinar of 150-400; members drawn by heterogeneous propensity (a core of
              ~300, a regular middle, a long casual tail) and affinity to their sector, region
              and home series; hosts from a rotating pool of ~60, sometimes a cohost; rejoins,
              walk-ins and registered no-shows;
  forum       one file a quarter: ~3,000 posts a month, topics, replies to topics or to earlier
              replies, reactions; heavy-tailed authors, some back-and-forth;
  survey      one file per wave (March and September): ~25% of members respond to
              netpulse-core-v1 (q1..q15, 1-5), ~90% finished.

Then loads it with netpulse ingest and times netpulse build, broken down by layer; the build runs
in a process of its own, whose peak memory (workers included) is printed against a budget (the
old pipeline's whole peak: a build that paired every member with every other went to 6.3 GiB).
Figures only.

    python bench/bench_indicators.py --members 5000 --years 5 --seed 1 --workdir var/bench-indicators
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import threading
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from bench_pipeline import bench_settings, measure  # bench/ is on the path when run
from duckdb_typed_read import duckdb_read_seconds

NETWORK_ID = "bench-clinical"
START = pd.Timestamp("2021-01-01")
INSTRUMENT = "netpulse-core-v1"
ITEMS = [f"q{i}" for i in range(1, 16)]
REGIONS = ["North", "Midlands", "South East", "South West"]
# sector: (organisations, share of members, professions, organisation name suffix)
SECTORS = {
    "acute": (14, 0.29, ["consultant", "nurse", "junior doctor", "allied health professional", "pharmacist",
                         "manager"], "Hospitals NHS Trust"),
    "primary care": (16, 0.22, ["GP", "practice nurse", "pharmacist", "practice manager", "paramedic"],
                     "Primary Care Network"),
    "community": (9, 0.14, ["district nurse", "physiotherapist", "occupational therapist", "manager"],
                  "Community Health Services"),
    "mental health": (7, 0.11, ["psychiatrist", "mental health nurse", "psychologist", "peer worker"],
                      "Mental Health NHS Foundation Trust"),
    "social care": (8, 0.10, ["social worker", "care home manager", "commissioner"], "Council Adult Social Care"),
    "voluntary": (6, 0.08, ["project worker", "volunteer coordinator", "chief executive"], "Voluntary Action"),
}
PATIENT_SECTOR, PATIENT_SHARE = "patient/carer", 0.06
TOWNS = ["Ashford", "Barnsley", "Bedford", "Blackburn", "Bolton", "Bradford", "Burnley", "Carlisle", "Chester",
         "Colchester", "Coventry", "Crawley", "Darlington", "Derby", "Doncaster", "Dudley", "Exeter", "Gloucester",
         "Grimsby", "Halifax", "Harrogate", "Hastings", "Hereford", "Huddersfield", "Ipswich", "Kendal",
         "Kettering", "Lancaster", "Leicester", "Lincoln", "Luton", "Maidstone", "Mansfield", "Norwich",
         "Nottingham", "Oldham", "Oxford", "Peterborough", "Plymouth", "Poole", "Preston", "Reading", "Rochdale",
         "Rotherham", "Salisbury", "Scarborough", "Sheffield", "Shrewsbury", "Slough", "Southport", "Stafford",
         "Stockport", "Sunderland", "Swindon", "Taunton", "Telford", "Torbay", "Truro", "Wakefield", "Walsall",
         "Warrington", "Wigan", "Worcester", "Yeovil", "York"]
FIRST = ["Aisha", "Alex", "Amir", "Anna", "Ben", "Carla", "Chen", "Chloe", "Dan", "Deepa", "Ellie", "Emeka",
         "Fatima", "Femi", "Grace", "Hannah", "Harry", "Isla", "Jack", "James", "Jo", "Kate", "Kwame", "Laura",
         "Leah", "Liam", "Maria", "Mo", "Nadia", "Niamh", "Oliver", "Priya", "Ravi", "Rosa", "Sam", "Sara",
         "Tom", "Tunde", "Yusuf", "Zoe"]
LAST = ["Ahmed", "Andrews", "Begum", "Brown", "Campbell", "Chowdhury", "Clarke", "Davies", "Evans", "Green",
        "Hall", "Hughes", "Iqbal", "Jackson", "Jones", "Khan", "Lewis", "Martin", "Mensah", "Morris", "Murphy",
        "Nguyen", "Okafor", "Owen", "Patel", "Price", "Roberts", "Robinson", "Shah", "Singh", "Smith",
        "Taylor", "Thomas", "Turner", "Walker", "Ward", "White", "Williams", "Wilson", "Wright"]
ISO = "%Y-%m-%dT%H:%M:%S"
# The build of this network may use at most this much memory (peak RSS of its process and
# workers): the whole pipeline's peak at commit 87ffd65 (before integer-coded ties and
# per-network workers) on the earlier one-large-network bench, 1.67 GiB. A build that pairs
# every member with every other (25 million rows for 5,000 members) went to 6.3 GiB.
BUILD_PEAK_BUDGET_MIB = 1_700
BUILD_TIMEOUT = 3600


@dataclasses.dataclass
class Members:
    email: np.ndarray          # primary address
    alias: np.ndarray          # other address, "" when none
    name: np.ndarray
    organisation: np.ndarray   # index into organisations, -1 for patients and carers without one
    sector: np.ndarray         # index into sector names (last = patient/carer)
    region: np.ndarray
    join_day: np.ndarray       # days since START (negative: joined before the window)
    leave_day: np.ndarray      # days since START, a large number when still a member
    propensity: np.ndarray     # relative activity
    tier: np.ndarray           # 0 core, 1 regular, 2 casual
    pool: np.ndarray           # member indices of the rotating host pool


# ---------------------------------------------------------------- roster


def make_members(rng: np.random.Generator, n: int, days: int) -> tuple[Members, pd.DataFrame]:
    sector_names = [*SECTORS, PATIENT_SECTOR]
    shares = np.array([s[1] for s in SECTORS.values()] + [PATIENT_SHARE])
    sector = rng.choice(len(sector_names), size=n, p=shares / shares.sum())

    # Organisations: sizes within a sector are skewed (a big acute trust, small practices).
    org_sector = np.concatenate([np.full(s[0], k) for k, s in enumerate(SECTORS.values())])
    org_region = rng.integers(0, len(REGIONS), len(org_sector))
    org_weight = rng.pareto(1.2, len(org_sector)) + 1
    towns = rng.permutation(TOWNS)[: len(org_sector)]
    org_names = np.array([f"{towns[o]} {list(SECTORS.values())[org_sector[o]][3]}" for o in range(len(org_sector))])
    org_domains = np.array([f"{towns[o].lower()}-{o:02d}.nhs.example" for o in range(len(org_sector))])
    organisation = np.full(n, -1)
    for k in range(len(SECTORS)):
        in_sector = np.flatnonzero(sector == k)
        orgs = np.flatnonzero(org_sector == k)
        organisation[in_sector] = rng.choice(orgs, size=len(in_sector), p=org_weight[orgs] / org_weight[orgs].sum())
    patient = sector == len(SECTORS)
    region = np.where(patient, rng.integers(0, len(REGIONS), n), org_region[np.maximum(organisation, 0)])

    first = np.array(FIRST)[rng.integers(0, len(FIRST), n)]
    last = np.array(LAST)[rng.integers(0, len(LAST), n)]
    name = pd.Series(first) + " " + pd.Series(last)
    local = pd.Series(first).str.lower() + "." + pd.Series(last).str.lower() + pd.Series(np.arange(n)).astype(str)
    domain = pd.Series(np.where(patient, "mail.example", org_domains[np.maximum(organisation, 0)]))
    email = (local + "@" + domain).to_numpy()
    has_alias = rng.random(n) < 0.06
    alias = np.where(has_alias, (local + "@home.example").to_numpy(), "")

    professions = pd.Series([np.nan] * n, dtype=object)
    for k, (_, _, profs, _) in enumerate(SECTORS.values()):
        rows = np.flatnonzero(sector == k)
        professions.iloc[rows] = np.array(profs)[rng.integers(0, len(profs), len(rows))]
    professions[patient] = np.where(rng.random(patient.sum()) < 0.5, "carer", "patient representative")

    # Propensity: a core of ~300 very active, a regular middle, a long casual tail (some never seen).
    core_n, regular_n = round(n * 0.06), round(n * 0.30)
    order = rng.permutation(n)
    tier = np.full(n, 2)
    tier[order[:core_n]] = 0
    tier[order[core_n:core_n + regular_n]] = 1
    propensity = np.select([tier == 0, tier == 1], [12.0, 2.0], 0.25) * rng.lognormal(0, 0.5, n)
    propensity[(tier == 2) & (rng.random(n) < 0.15)] *= 0.05  # on the roster, hardly ever seen

    # Joins: founders in the first quarter (most of the core), the rest spread over the years.
    founder = rng.random(n) < np.where(tier == 0, 0.75, 0.25)
    join_day = np.where(founder, rng.integers(-400, 90, n), rng.integers(0, days - 30, n))
    pool_size = max(8, round(n * 0.012))
    candidates = np.flatnonzero((tier == 0) & founder & (join_day <= 0) & ~patient)
    pool = rng.choice(candidates, size=min(pool_size, len(candidates)), replace=False)
    leaver = (rng.random(n) < 0.085) & (join_day + 120 < days)
    leaver[pool] = False
    leave_day = np.full(n, 10**6)
    lo = np.maximum(join_day, 0) + 90
    leave_day[leaver] = lo[leaver] + (rng.random(leaver.sum()) * (days - lo[leaver])).astype(int)

    day = START + pd.to_timedelta(join_day, unit="D")
    roster = pd.DataFrame({
        "email": email,
        "name": name,
        "organisation": np.where(organisation >= 0, org_names[np.maximum(organisation, 0)],
                                 np.where(rng.random(n) < 0.5, "Patient and carer panel", "")),
        "sector": np.array(sector_names)[sector],
        "profession": professions,
        "region": np.array(REGIONS)[region],
        "patient_or_carer": np.where(patient, "true", np.where(rng.random(n) < 0.04, "", "false")),
        "joined_on": day.strftime("%Y-%m-%d"),
        "left_on": np.where(leaver, (START + pd.to_timedelta(np.minimum(leave_day, days), unit="D"))
                            .strftime("%Y-%m-%d"), ""),
        "other_emails": alias,
    })
    members = Members(email, alias, name.to_numpy(), organisation, sector, region, join_day, leave_day,
                      propensity, tier, pool)
    return members, roster


def address(rng: np.random.Generator, m: Members, who: np.ndarray, alias_share: float) -> np.ndarray:
    """The address a row is exported under: the alias sometimes, a capitalised address now and then."""
    use_alias = (m.alias[who] != "") & (rng.random(len(who)) < alias_share)
    out = pd.Series(np.where(use_alias, m.alias[who], m.email[who]))
    shout = rng.random(len(who)) < 0.02
    out[shout] = out[shout].str.title()
    return out.to_numpy()


def season(month: pd.Timestamp) -> float:
    return {8: 0.6, 12: 0.7, 1: 0.9}.get(month.month, 1.05)


def gumbel_top(rng: np.random.Generator, log_weight: np.ndarray, eligible: np.ndarray, take: int) -> np.ndarray:
    """Column indices of the ``take`` highest keys per row: weighted sampling without replacement."""
    keys = log_weight - np.log(-np.log(rng.random(log_weight.shape)))
    keys[~eligible] = -np.inf
    return np.argsort(-keys, axis=1)[:, :take]


# ---------------------------------------------------------------- attendance


def make_series(rng: np.random.Generator, m: Members, scale: float) -> pd.DataFrame:
    """Recurring meeting series: focus (sector, region), frequency, size, how core-heavy, registration."""
    rows = []
    sectors = list(SECTORS)
    for k in range(24):
        focus = rng.integers(0, len(sectors)) if k % 3 else -1
        rows.append(("working group", f"Working group {k + 1}: {sectors[focus] if focus >= 0 else 'cross-sector'}",
                     focus, -1, 0.8, rng.integers(10, 26), 1.0, False))
    for k in range(12):
        rows.append(("huddle", f"{REGIONS[k % 4]} regional huddle {k // 4 + 1}", -1, k % 4, 1.2,
                     rng.integers(14, 30), 1.0, False))
    for k in range(6):
        rows.append(("community of practice", f"Community of practice: {sectors[k]}", k, -1, 0.5,
                     rng.integers(20, 36), 0.8, True))
    for k in range(4):
        rows.append(("board", f"Programme board {k + 1}", -1, -1, 1.0, rng.integers(8, 13), 2.0, False))
    rows.append(("webinar", "Network webinar", -1, -1, 1.0, 0, 0.5, True))
    series = pd.DataFrame(rows, columns=["kind", "title", "sector", "region", "per_month", "size", "power",
                                         "registration"])
    series["per_month"] *= np.where(series["kind"] == "webinar", 1.0, scale)
    # Each series rotates through its own group of four hosts from the pool.
    series["hosts"] = [m.pool[(4 * s + np.arange(4)) % len(m.pool)] for s in range(len(series))]
    return series


def affinity(rng: np.random.Generator, m: Members, series: pd.DataFrame) -> np.ndarray:
    """log affinity (series x members): own sector, own region, and one to three home series."""
    n = len(m.email)
    log_a = np.zeros((len(series), n))
    sector = series["sector"].to_numpy()[:, None]
    region = series["region"].to_numpy()[:, None]
    log_a += np.where((sector >= 0) & (sector == m.sector[None, :]), np.log(5.0), 0.0)
    log_a += np.where((sector >= 0) & (sector != m.sector[None, :]), np.log(0.3), 0.0)
    log_a += np.where((region >= 0) & (region == m.region[None, :]), np.log(5.0), 0.0)
    log_a += np.where((region >= 0) & (region != m.region[None, :]), np.log(0.15), 0.0)
    small = np.flatnonzero(series["kind"].to_numpy() != "webinar")
    for _ in range(3):
        home = rng.choice(small, size=n)
        keep = rng.random(n) < 0.6
        log_a[home[keep], np.flatnonzero(keep)] += np.log(8.0)
    return log_a + series["power"].to_numpy()[:, None] * np.log(m.propensity)[None, :]


def make_attendance(rng: np.random.Generator, m: Members, months: pd.DatetimeIndex, scale: float) -> pd.DataFrame:
    series = make_series(rng, m, scale)
    log_w = affinity(rng, m, series)
    hosts = np.stack(series["hosts"].to_numpy())
    frames = []
    meeting_no = 0
    for month_no, month in enumerate(months):
        counts = rng.poisson(series["per_month"].to_numpy() * season(month))
        s_of = np.repeat(np.arange(len(series)), counts)
        n_meet = len(s_of)
        if n_meet == 0:
            continue
        kind = series["kind"].to_numpy()[s_of]
        webinar = kind == "webinar"
        size = np.clip(np.round(rng.lognormal(np.log(series["size"].to_numpy()[s_of].clip(1)), 0.3)), 8, 40)
        size = np.where(rng.random(n_meet) < 0.02, rng.integers(41, 80, n_meet), size)  # the odd big one
        size = np.where(webinar, rng.integers(150, 401, n_meet), size).astype(int)
        bdays = pd.bdate_range(month, month + pd.offsets.MonthEnd(0))
        start = (bdays[rng.integers(0, len(bdays), n_meet)]
                 + pd.to_timedelta(rng.integers(18, 33, n_meet) * 30, unit="m"))  # 09:00 to 16:00
        minutes = np.where(kind == "board", 120, np.where(rng.random(n_meet) < 0.3, 90, 60))
        day = (start.normalize() - START).days.to_numpy()
        eligible = (m.join_day[None, :] <= day[:, None]) & (m.leave_day[None, :] > day[:, None])
        available = eligible.sum(axis=1)
        size = np.minimum(size, available - 1)
        registration = series["registration"].to_numpy()[s_of]
        no_shows = np.where(registration, np.round(size * rng.uniform(0.2, 0.45, n_meet)), 0).astype(int)
        no_shows = np.minimum(no_shows, available - size)

        keyed = log_w[s_of].copy()
        rota = (month_no + np.arange(n_meet)) % 4
        host = hosts[s_of, rota]
        cohost = np.where(rng.random(n_meet) < 0.3, hosts[s_of, (rota + 1) % 4], -1)
        rows_idx = np.arange(n_meet)
        keyed[rows_idx, host] = np.inf
        has_co = cohost >= 0
        keyed[rows_idx[has_co], cohost[has_co]] = 1e12
        eligible[rows_idx, host] = True
        eligible[rows_idx[has_co], cohost[has_co]] = True
        ranked = gumbel_top(rng, keyed, eligible, int((size + no_shows).max()))
        rank = np.broadcast_to(np.arange(ranked.shape[1]), ranked.shape)
        chosen = rank < (size + no_shows)[:, None]
        meeting = np.broadcast_to(rows_idx[:, None], ranked.shape)[chosen]
        who = ranked[chosen]
        status = np.where(rank[chosen] < size[meeting], "attended", "registered")
        role = np.where(who == host[meeting], "host", np.where(who == cohost[meeting], "cohost", "attendee"))
        walk_in = registration[meeting] & (status == "attended") & (role == "attendee") & (rng.random(len(who)) < 0.08)
        status = np.where(walk_in, "walk-in", status)
        frames.append(pd.DataFrame({
            "meeting": meeting + meeting_no, "member": who, "status": status, "role": role,
            "start": start[meeting], "minutes": minutes[meeting], "title": series["title"].to_numpy()[s_of][meeting],
        }))
        meeting_no += n_meet
    rows = pd.concat(frames, ignore_index=True)
    n_rows = len(rows)
    attended = rows["status"].to_numpy() != "registered"
    leads = rows["role"].to_numpy() != "attendee"
    end = rows["start"] + pd.to_timedelta(rows["minutes"], unit="m")
    join_offset = np.where(leads, -10, rng.integers(-5, 6, n_rows) + rng.exponential(3, n_rows) ** 1.3)
    leave_offset = np.where(leads, 5, np.where(rng.random(n_rows) < 0.15, -rng.integers(10, 40, n_rows),
                                               rng.integers(-4, 4, n_rows)))
    joined = rows["start"] + pd.to_timedelta(np.round(join_offset * 60), unit="s")
    left = end + pd.to_timedelta(leave_offset, unit="m")
    left = left.where(left >= joined + pd.Timedelta(minutes=2), joined + pd.Timedelta(minutes=2))

    # Rejoins: a dropped connection makes a second segment.
    rejoin = attended & ~leads & (rng.random(n_rows) < 0.04)
    cut = joined + (left - joined) * rng.uniform(0.2, 0.7, n_rows)
    back = (cut + pd.to_timedelta(rng.integers(1, 10, n_rows), unit="m")).where(lambda t: t <= left, left)
    first_left = left.where(~rejoin, cut)
    second = rows[rejoin].assign(joined=back[rejoin], left=left[rejoin])
    rows = pd.concat([rows.assign(joined=joined, left=first_left), second], ignore_index=True)
    rows = rows.sort_values(["start", "meeting", "joined"], kind="stable", ignore_index=True)
    n_rows = len(rows)
    who = rows["member"].to_numpy()
    attended = rows["status"].to_numpy() != "registered"
    blank_role = (rows["role"] == "attendee") & (rng.random(n_rows) < 0.6)
    blank_status = (rows["status"] == "attended") & (rng.random(n_rows) < 0.6)
    return pd.DataFrame({
        "meeting_id": "mtg-" + rows["meeting"].astype(str).str.zfill(6),
        "meeting_title": rows["title"],
        "meeting_start": rows["start"].dt.strftime(ISO),
        "meeting_end": (rows["start"] + pd.to_timedelta(rows["minutes"], unit="m")).dt.strftime(ISO),
        "email": address(rng, m, who, 0.25),
        "name": m.name[who],
        "joined_at": rows["joined"].dt.strftime(ISO).where(attended, ""),
        "left_at": rows["left"].dt.strftime(ISO).where(attended, ""),
        "role": rows["role"].where(~blank_role, ""),
        "status": rows["status"].where(~blank_status, ""),
        "_period": rows["start"],
    })


# ---------------------------------------------------------------- forum


def geometric_back(rng: np.random.Generator, available: np.ndarray, p: float) -> np.ndarray:
    """How many items back to look, at most available - 1."""
    return np.minimum(rng.geometric(p, len(available)) - 1, np.maximum(available - 1, 0))


def make_forum(rng: np.random.Generator, m: Members, months: pd.DatetimeIndex, per_month: float) -> pd.DataFrame:
    n = len(m.email)
    # Heavy-tailed authorship: a third never post; the rest by propensity times a Pareto factor.
    writer = np.where(rng.random(n) < 0.35, 0.0, m.propensity ** 1.2 * np.minimum(rng.pareto(1.5, n) + 1, 20))
    reactor = m.propensity ** 0.7 * rng.lognormal(0, 0.7, n)
    hours = np.array([1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 14, 12, 14, 15, 14, 12, 9, 7, 6, 6, 5, 3, 2], float)
    times, authors, kinds = [], [], []
    trend = np.linspace(0.75, 1.25, len(months))
    for month_no, month in enumerate(months):
        count = rng.poisson(per_month * trend[month_no] * season(month))
        days_in = month.days_in_month
        stamp = (month + pd.to_timedelta(rng.integers(0, days_in, count), unit="D")
                 + pd.to_timedelta(rng.choice(24, size=count, p=hours / hours.sum()), unit="h")
                 + pd.to_timedelta(rng.integers(0, 3600, count), unit="s"))
        kind = rng.choice(np.array(["topic", "reply", "reaction"]), size=count, p=[0.25, 0.45, 0.30])
        middle = (month - START).days + days_in // 2
        eligible = (m.join_day <= middle) & (m.leave_day > middle)
        w_write, w_react = np.where(eligible, writer, 0.0), np.where(eligible, reactor, 0.0)
        who = np.where(kind == "reaction", rng.choice(n, size=count, p=w_react / w_react.sum()),
                       rng.choice(n, size=count, p=w_write / w_write.sum()))
        times.append(stamp.to_numpy())
        authors.append(who)
        kinds.append(kind)
    stamp = np.concatenate(times)
    order = np.argsort(stamp, kind="stable")
    stamp, author, kind = stamp[order], np.concatenate(authors)[order], np.concatenate(kinds)[order]
    kind[0] = "topic"
    total = len(kind)
    index = np.arange(total)
    topics = np.flatnonzero(kind == "topic")
    posts = np.flatnonzero(kind != "reaction")
    topics_before = np.searchsorted(topics, index)
    posts_before = np.searchsorted(posts, index)
    # Replies answer a recent topic (55%) or an earlier post; reactions go to an earlier post.
    to_topic = topics[np.maximum(topics_before - 1 - geometric_back(rng, topics_before, 0.04), 0)]
    to_post = posts[np.maximum(posts_before - 1 - geometric_back(rng, posts_before, 0.01), 0)]
    to_react = posts[np.maximum(posts_before - 1 - geometric_back(rng, posts_before, 0.004), 0)]
    target = np.where(kind == "reaction", to_react, np.where(rng.random(total) < 0.55, to_topic, to_post))
    target = np.where(kind == "topic", index, np.minimum(target, index))
    # Back and forth: a third of replies to a reply come from the author that reply answered.
    answered = target[target]
    back = (kind == "reply") & (kind[target] == "reply") & (rng.random(total) < 0.33)
    author = np.where(back, author[answered], author)
    topic_of = np.where(kind == "topic", index, target)
    while True:  # pointer jumping: each post's topic is its target's topic
        jumped = topic_of[topic_of]
        if np.array_equal(jumped, topic_of):
            break
        topic_of = jumped
    post_id = "p" + pd.Series(index).astype(str).str.zfill(7)
    created = pd.Series(pd.to_datetime(stamp))
    return pd.DataFrame({
        "post_id": post_id,
        "topic_id": post_id.to_numpy()[topic_of],
        "reply_to_post_id": np.where(kind == "topic", "", post_id.to_numpy()[target]),
        "email": address(rng, m, author, 0.3),
        "name": m.name[author],
        "created_at": created.dt.strftime(ISO),
        "kind": kind,
        "_period": created,
    })


# ---------------------------------------------------------------- survey


def make_survey(rng: np.random.Generator, m: Members, years: int) -> pd.DataFrame:
    n = len(m.email)
    leaning = rng.normal(0, 0.7, n) + np.select([m.tier == 0, m.tier == 1], [0.6, 0.2], -0.1)
    item_shift = rng.normal(0, 0.35, len(ITEMS))
    frames = []
    for year in range(START.year, START.year + years):
        for wave_month in (3, 9):
            opens = pd.Timestamp(year=year, month=wave_month, day=1)
            day = (opens - START).days
            eligible = (m.join_day <= day) & (m.leave_day > day)
            k = round(0.25 * eligible.sum())
            who = gumbel_top(rng, 0.5 * np.log(m.propensity)[None, :], eligible[None, :], k)[0]
            submitted = (opens + pd.to_timedelta(np.minimum(rng.exponential(10, k), 55), unit="D").floor("D")
                         + pd.to_timedelta(rng.integers(8 * 3600, 21 * 3600, k), unit="s"))
            finished = rng.random(k) < 0.9
            latent = 3.3 + leaning[who][:, None] + item_shift[None, :] + rng.normal(0, 0.8, (k, len(ITEMS)))
            scores = np.clip(np.round(latent), 1, 5).astype(int).astype(str)
            stopped = np.where(finished, len(ITEMS), rng.integers(1, len(ITEMS), k))
            blank = (np.arange(len(ITEMS))[None, :] >= stopped[:, None]) | (rng.random(scores.shape) < 0.03)
            answers = np.where(blank, "", scores)
            wave = f"{year}{'s' if wave_month == 3 else 'a'}"
            frame = pd.DataFrame({
                "response_id": f"R_{wave}_" + pd.Series(np.arange(k)).astype(str).str.zfill(5),
                "instrument": INSTRUMENT,
                "submitted_at": submitted.strftime(ISO),
                "email": address(rng, m, who, 0.2),
                "finished": np.where(finished, "true", "false"),
                "name": m.name[who],
            })
            frames.append(pd.concat([frame, pd.DataFrame(answers, columns=ITEMS)], axis=1)
                          .assign(_period=submitted))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- landing zone


def write_quarterly(frame: pd.DataFrame, folder: Path, stem: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    quarter = frame["_period"].dt.to_period("Q").astype(str)
    paths = []
    for label, part in frame.drop(columns="_period").groupby(quarter, sort=True):
        path = folder / f"{stem}-{label}.csv"
        part.to_csv(path, index=False)
        paths.append(path)
    return paths


def write_landing(landing: Path, members: int, years: int, seed: int) -> tuple[dict[str, list[Path]], pd.Series]:
    rng = np.random.default_rng(seed)
    scale = members / 5000
    days = (START + pd.DateOffset(years=years) - START).days
    months = pd.date_range(START, periods=12 * years, freq="MS")
    m, roster = make_members(rng, members, days)
    attendance = make_attendance(rng, m, months, scale)
    forum = make_forum(rng, m, months, 3000 * scale)
    survey = make_survey(rng, m, years)

    root = landing / NETWORK_ID
    (root / "roster").mkdir(parents=True, exist_ok=True)
    roster_path = root / "roster" / "roster.csv"
    roster.to_csv(roster_path, index=False)
    files = {
        "roster": [roster_path],
        "attendance": write_quarterly(attendance, root / "attendance", "attendance"),
        "forum": write_quarterly(forum, root / "forum", "forum"),
        "survey": write_quarterly(survey, root / "survey", "survey"),
    }
    facts = pd.Series({
        "meetings": attendance["meeting_id"].nunique(),
        "webinars": attendance.loc[attendance["meeting_title"] == "Network webinar", "meeting_id"].nunique(),
        "topics": int((forum["kind"] == "topic").sum()),
        "reactions": int((forum["kind"] == "reaction").sum()),
    })
    return files, facts


# ---------------------------------------------------------------- build breakdown


def layers(model_seconds: dict[str, float]) -> dict[str, list[str]]:
    """Models of the report by layer.

    Intermediate and Python models are split by where they sit: "after core" when they read a
    core model (directly or through other models), "before core" when a core model reads them.
    """
    from netpulse.build.models import sql_models

    sql = {m.name: m for m in sql_models()}
    graph = {name: {d for d in model.depends_on if d != name} for name, model in sql.items()}
    after_core: set[str] = set()
    for name in TopologicalSorter({k: {d for d in v if d in sql} for k, v in graph.items()}).static_order():
        if name.startswith("core.") or graph[name] & after_core:
            after_core.add(name)
    feeds_core: set[str] = set()
    todo = [d for name, deps in graph.items() if name.startswith("core.") for d in deps]
    while todo:
        name = todo.pop()
        if name not in feeds_core:
            feeds_core.add(name)
            todo.extend(graph.get(name, ()))
    groups: dict[str, list[str]] = {k: [] for k in (
        "staging views", "intermediate, before core", "python models, before core", "core",
        "intermediate, after core", "python models", "indicators", "other")}
    for name in model_seconds:
        if name not in sql:
            groups["python models, before core" if name in feeds_core else "python models"].append(name)
        elif name.startswith("staging.stg_"):
            groups["staging views"].append(name)
        elif name.startswith("staging.int_"):
            groups["intermediate, after core" if name in after_core else "intermediate, before core"].append(name)
        elif name.startswith("core."):
            groups["core"].append(name)
        elif name.startswith("indicators."):
            groups["indicators"].append(name)
        else:
            groups["other"].append(name)
    return groups


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class ModelMemory:
    """The highest resident set size seen (sampled every 50 ms) while each model ran.

    Instrumentation only: it wraps ``Model.execute`` to know which model is running.
    """

    def __init__(self) -> None:
        from netpulse.build import models as transforms

        self.peaks: dict[str, float] = {}
        self._running: str | None = None
        self._stop = threading.Event()
        self._model = transforms.Model
        self._original = self._model.execute
        self._page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        original, tracker = self._original, self

        def execute(model, con, *args, **kwargs):
            tracker._running = model.name
            try:
                return original(model, con, *args, **kwargs)
            finally:
                tracker._sample()
                tracker._running = None

        self._model.execute = execute
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        name = self._running
        if name is not None:
            with open("/proc/self/statm") as statm:
                rss = int(statm.read().split()[1]) * self._page_mb
            self.peaks[name] = max(self.peaks.get(name, 0.0), rss)

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._model.execute = self._original


def workdir_settings(workdir: Path):
    """The benchmark warehouse's settings for an existing ``workdir`` (bench_settings empties it)."""
    from netpulse.config.settings import Settings

    return dataclasses.replace(
        Settings.from_env(), landing=workdir / "landing", warehouse=workdir / "bench.duckdb",
        data_docs=workdir / "data_docs", network_config=None, hash_key="benchmark-key",
    )


def build_only(workdir: Path, result_path: Path) -> int:
    """The build step on its own (``--build-in``): run in a process of its own, so that its peak
    memory is the build's and not the generator's or the ingest's; writes its figures as JSON."""
    from netpulse.build.run import build

    memory = ModelMemory()
    started = time.perf_counter()
    try:
        result = build(workdir_settings(workdir))
    finally:
        seconds = time.perf_counter() - started
        memory.close()
    result_path.write_text(json.dumps({
        "seconds": seconds, "models": len(result.models), "network_periods": result.network_periods,
        "model_seconds": result.model_seconds, "model_peaks": memory.peaks}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench-indicators"))
    parser.add_argument("--build-in", type=Path, help=argparse.SUPPRESS)  # the build step's own process
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_in:
        return build_only(args.build_in, args.result)

    from netpulse.ingest.loading import ingest

    settings = bench_settings(args.workdir)
    started = time.perf_counter()
    files, facts = write_landing(settings.landing, args.members, args.years, args.seed)
    generate = time.perf_counter() - started
    rss_generate = peak_rss_mb()
    print(f"[generated in {generate:.1f} s]", file=sys.stderr, flush=True)

    baseline = duckdb_read_seconds(files)
    started = time.perf_counter()
    report = ingest(settings)
    ingest_seconds = time.perf_counter() - started
    assert {o.status for o in report.outcomes} == {"loaded"}, report.summary()
    rss_ingest = peak_rss_mb()
    print(f"[baseline {baseline:.1f} s, ingested in {ingest_seconds:.1f} s; building]", file=sys.stderr, flush=True)
    workdir = args.workdir.resolve()
    result_path = workdir / "build.json"
    build_step = measure([sys.executable, str(Path(__file__).resolve()), "--build-in", str(workdir),
                          "--result", str(result_path)], dict(os.environ), Path.cwd(), BUILD_TIMEOUT,
                         workdir / "build.log")
    if not build_step.ok:
        print(f"netpulse build {build_step.failure}; its output ({build_step.log}):\n"
              f"{build_step.log.read_text(errors='replace').rstrip()}")
        return 1
    result = json.loads(result_path.read_text())
    build_seconds = result["seconds"]

    rows = {source: sum(o.rows for o in report.outcomes if o.source == source) for source in files}
    size_mb = sum(p.stat().st_size for paths in files.values() for p in paths) / 1e6
    total_rows = sum(rows.values())
    print(f"network                {NETWORK_ID}: {args.members:,} members, {args.years} years, seed {args.seed} "
          f"({sum(map(len, files.values()))} files, {size_mb:,.1f} MB; generated in {generate:.1f} s)")
    for source, count in rows.items():
        extra = {"attendance": f"; {facts['meetings']:,} meetings, {facts['webinars']} webinars",
                 "forum": f"; {facts['topics']:,} topics, {facts['reactions']:,} reactions"}.get(source, "")
        n_files = len(files[source])
        print(f"  {source:<20} {count:>12,} rows  ({n_files} file{'s' if n_files != 1 else ''}{extra})")
    print(f"duckdb typed read      {baseline:>12.2f} s   (baseline: DuckDB reading the same files)")
    print(f"netpulse ingest        {ingest_seconds:>12.2f} s   ({total_rows / ingest_seconds:,.0f} rows/s, "
          f"{ingest_seconds / baseline:.1f} x the baseline)")
    print(f"netpulse build         {build_seconds:>12.2f} s   ({result['models']} models, "
          f"{result['network_periods']} network periods; CPU {build_step.cpu_seconds:.1f} s user+sys)")
    seconds = result["model_seconds"]
    groups = layers(seconds)
    for layer, names in groups.items():
        if names:
            print(f"  {layer:<26} {sum(seconds[n] for n in names):>8.2f} s   ({len(names)} models)")
    print(f"  {'outside models':<26} {build_seconds - sum(seconds.values()):>8.2f} s   "
          "(transaction, indicator validation, history, Data Docs)")
    indicator_names = groups["intermediate, after core"] + groups["python models"] + groups["indicators"]
    indicator_layer = sum(seconds[n] for n in indicator_names)
    print(f"indicator layer        {indicator_layer:>12.2f} s   ({len(indicator_names)} models after core: "
          "intermediate network-period models, Python models, indicators)")
    print(f"slowest models {'seconds':>41}   process RSS while it ran")
    peaks = result["model_peaks"]
    for name, value in sorted(seconds.items(), key=lambda kv: -kv[1])[:8]:
        rss = f"{peaks[name]:>8,.0f} MB" if name in peaks else "       n/a"
        print(f"  {name:<44} {value:>8.2f} s {rss}")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        interactions = con.execute("select count(*) from staging.int_interactions_coded").fetchone()[0]
        ties = con.execute("select count(*) from staging.int_network_period_ties").fetchone()[0]
    print(f"interaction graph      {interactions:>12,} interactions, {ties:,} network-period ties")
    print(f"network periods        {result['network_periods']:>12,}")
    print(f"peak RSS               {max(rss_generate, rss_ingest):>12,.0f} MB  (generation and ingest, this process; "
          f"after generation {rss_generate:,.0f} MB)")
    verdict = "met" if build_step.peak_mb <= BUILD_PEAK_BUDGET_MIB else "MISSED"
    print(f"build peak memory      {build_step.peak_mb:>12,.0f} MiB (the build's own process and its workers; "
          f"budget {BUILD_PEAK_BUDGET_MIB:,} MiB: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
