"""A landing zone of generic CSV deliveries with the shape real users have (docs/formats.md).

Many networks of different sizes (20-300 members from several organisations, joining and leaving
over five years, 2021-01 to 2025-12), each delivering many small files: one roster, attendance
and forum exports cut at irregular month boundaries and two or three survey waves, 16 files a
network. The requested number of events (attendance + forum + survey rows) is shared between
networks by size and how lively each is; a bigger shape has the same files with more rows.

Realistic on purpose, because the counts depend on it: join segments (rejoins), hosts and
cohosts, walk-ins and registered no-shows, guests not on the roster, addresses in the wrong case
and members posting from the alternative address their roster entry lists, forum replies and
reactions to earlier posts of the same network, some forums exported in UTC ("Z"), resubmitted
and unfinished survey responses.

    python bench/landing_shape.py var/bench/landing --networks 200 --events 1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

START = pd.Timestamp("2021-01-01")
MONTHS = pd.date_range(START, periods=60, freq="MS")
END = MONTHS[-1] + pd.offsets.MonthBegin(1)
FILES_PER_NETWORK = 16
INSTRUMENT = "netpulse-core-v1"
ITEMS = [f"q{i}" for i in range(1, 16)]
ORGANISATIONS = 400  # shared by all networks: one trust can be in several networks
SECTORS = {
    "acute": ("Hospitals NHS Trust", ["consultant", "nurse", "junior doctor", "pharmacist", "manager"]),
    "primary care": ("Primary Care Network", ["GP", "practice nurse", "pharmacist", "practice manager"]),
    "community": ("Community Health Services", ["district nurse", "physiotherapist", "occupational therapist"]),
    "mental health": ("Mental Health Foundation Trust", ["psychiatrist", "mental health nurse", "psychologist"]),
    "social care": ("Council Adult Social Care", ["social worker", "care home manager", "commissioner"]),
    "voluntary": ("Voluntary Action", ["project worker", "volunteer coordinator", "chief executive"]),
}
REGIONS = ["North", "Midlands", "London", "South East", "South West"]
TOWNS = ["Barnsley", "Bedford", "Bolton", "Bradford", "Carlisle", "Chester", "Coventry", "Derby", "Exeter",
         "Halifax", "Hereford", "Ipswich", "Kendal", "Leicester", "Lincoln", "Luton", "Norwich", "Oxford",
         "Plymouth", "Preston", "Reading", "Sheffield", "Swindon", "Truro", "Wigan", "York"]
FIRST = ["Aisha", "Alex", "Amir", "Anna", "Ben", "Chen", "Deepa", "Emeka", "Fatima", "Grace", "Harry", "Isla",
         "Jo", "Kwame", "Laura", "Liam", "Maria", "Niamh", "Priya", "Ravi", "Sam", "Tom", "Yusuf", "Zoe"]
LAST = ["Ahmed", "Begum", "Brown", "Clarke", "Davies", "Evans", "Hughes", "Jones", "Khan", "Lewis", "Mensah",
        "Murphy", "Nguyen", "Okafor", "Patel", "Roberts", "Shah", "Singh", "Smith", "Taylor", "Walker", "Wright"]
SERIES = ["Network meeting", "Steering group", "Journal club", "Working group: pathways", "Working group: data",
          "Learning session", "Regional huddle"]


@dataclasses.dataclass
class Members:
    email: np.ndarray       # primary address, m{n}@org{k}.example (n unique across networks)
    alias: np.ndarray       # the other address on the roster entry, "" when none
    name: np.ndarray
    join: np.ndarray        # month index of joining (negative: before 2021)
    leave: np.ndarray       # month index of the last month as a member
    propensity: np.ndarray  # relative activity: a few very active members, a long casual tail
    hosts: np.ndarray       # the coordinators, who host meetings

    def current(self, month: int) -> np.ndarray:
        return (self.join <= month) & (self.leave >= month)


@dataclasses.dataclass
class Landing:
    files: dict[str, list[Path]]
    rows: dict[str, int]

    @property
    def events(self) -> int:
        return self.rows["attendance"] + self.rows["forum"] + self.rows["survey"]

    @property
    def file_count(self) -> int:
        return sum(map(len, self.files.values()))

    @property
    def megabytes(self) -> float:
        return sum(p.stat().st_size for paths in self.files.values() for p in paths) / 1e6


def network_ids(count: int) -> list[str]:
    return [f"net-{i:03d}" for i in range(count)]


def write_landing(landing: Path, networks: int = 200, events: int = 1_000_000, seed: int = 1) -> Landing:
    rng = np.random.default_rng(seed)
    sizes = np.clip(np.round(rng.lognormal(np.log(90), 0.6, networks)), 20, 300).astype(int)
    waves = rng.integers(2, 4, networks)
    # Survey rows follow from the members (28% of those current answer a wave, about a fifth of
    # the roster); attendance and forum share the rest, by size and by how lively the network is.
    survey_expected = sizes * waves * 0.19
    weight = sizes * rng.lognormal(0, 0.5, networks)
    other = max(events - survey_expected.sum(), 0) * weight / weight.sum()
    forum_share = rng.uniform(0.3, 0.6, networks)
    files: dict[str, list[Path]] = {s: [] for s in ("roster", "attendance", "forum", "survey")}
    rows = dict.fromkeys(files, 0)
    first_member = 0
    for i, network in enumerate(network_ids(networks)):
        root = landing / network
        members, roster = make_members(rng, sizes[i], first_member)
        first_member += sizes[i]
        attendance = make_attendance(rng, members, round(other[i] * (1 - forum_share[i])), i)
        forum = make_forum(rng, members, round(other[i] * forum_share[i]), utc=rng.random() < 0.25)
        survey = make_survey(rng, members, waves[i])
        att_files = (FILES_PER_NETWORK - 1 - waves[i] + 1) // 2
        written = {
            "roster": [write(roster, root / "roster" / "roster-2025-12.csv")],
            "attendance": write_chunks(rng, attendance, root / "attendance", "meetings", att_files),
            "forum": write_chunks(rng, forum, root / "forum", "forum", FILES_PER_NETWORK - 1 - waves[i] - att_files),
            "survey": [write(part.drop(columns="_month"), root / "survey" / f"core-survey-{MONTHS[m]:%Y-%m}.csv")
                       for m, part in survey.groupby("_month")],
        }
        for source, paths in written.items():
            files[source] += paths
        rows["roster"] += len(roster)
        rows["attendance"] += len(attendance)
        rows["forum"] += len(forum)
        rows["survey"] += len(survey)
    return Landing(files, rows)


def write(frame: pd.DataFrame, path: Path) -> Path:
    """frame.to_csv, ten times faster: no value here needs quoting, so lines are joined in Arrow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [pc.cast(pa.array(frame[c]), pa.large_string()) for c in frame.columns]
    for name, column in zip(frame.columns, columns, strict=True):
        assert not pc.any(pc.match_substring_regex(column, '[,"\\r\\n\\t]')).as_py(), f"{path}: {name} needs quoting"
    with open(path, "wb") as out:
        out.write((",".join(frame.columns) + "\n").encode())
        if len(frame):
            lines = pc.binary_join_element_wise(*columns, pa.scalar(",", pa.large_string()))
            # One column, written with a delimiter it never holds, so nothing is quoted.
            csv.write_csv(pa.table({"line": lines}), out,
                          csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
    return path


def iso(times) -> np.ndarray:
    """ISO 8601 to the second, as exports write it (strftime is far slower)."""
    return np.datetime_as_string(np.asarray(times, dtype="datetime64[s]"), unit="s")


def write_chunks(rng: np.random.Generator, frame: pd.DataFrame, folder: Path, stem: str, count: int) -> list[Path]:
    """Cut the five years at irregular month boundaries, one file per stretch, as exports come.

    Each stretch starts with a month that has rows: header-only files are all alike, so every
    one after the first would be a duplicate delivery.
    """
    month = frame["_month"].to_numpy()
    starts = np.unique(month)[1:]
    cuts = np.sort(rng.choice(starts, size=min(count - 1, len(starts)), replace=False))
    bounds = np.concatenate([[0], cuts, [len(MONTHS)]])
    paths = []
    for lo, hi in itertools.pairwise(bounds):
        part = frame[(month >= lo) & (month < hi)].drop(columns="_month")
        span = f"{MONTHS[lo]:%Y-%m}" + (f"-to-{MONTHS[hi - 1]:%Y-%m}" if hi - lo > 1 else "")
        paths.append(write(part, folder / f"{stem}-{span}.csv"))
    return paths


def make_members(rng: np.random.Generator, n: int, first: int) -> tuple[Members, pd.DataFrame]:
    orgs = rng.choice(ORGANISATIONS, size=rng.integers(3, 11), replace=False)
    org = orgs[np.minimum(rng.zipf(1.6, n) - 1, len(orgs) - 1)]  # one or two big organisations
    patient = rng.random(n) < 0.05
    sector_names = list(SECTORS)
    sector = np.array(sector_names)[org % len(SECTORS)]
    number = first + np.arange(n)
    email = np.where(patient, [f"m{k}@mail.example" for k in number], [f"m{k}@org{o}.example" for o, k in
                                                                        zip(org, number, strict=True)])
    alias = np.where(rng.random(n) < 0.05, [f"m{k}.home@mail.example" for k in number], "")
    profession = [SECTORS[s][1][j % len(SECTORS[s][1])] for s, j in zip(sector, rng.integers(0, 99, n), strict=True)]

    # A third were there before 2021; the rest join over the years; a fifth of those leave.
    join = np.where(rng.random(n) < 0.35, rng.integers(-24, 0, n), rng.integers(0, len(MONTHS) - 2, n))
    leaver = rng.random(n) < 0.2
    leave = np.where(leaver, np.minimum(np.maximum(join, 0) + rng.integers(3, 40, n), len(MONTHS) - 1), 10**6)
    propensity = rng.lognormal(0, 1.0, n)
    # The network's coordinators, who host, are founders who stay.
    hosts = rng.choice(n, size=min(5, n), replace=False)
    join[hosts], leave[hosts], propensity[hosts] = -12, 10**6, propensity[hosts] + 3

    names = (np.array(FIRST)[rng.integers(0, len(FIRST), n)].astype(object) + " "
             + np.array(LAST)[rng.integers(0, len(LAST), n)].astype(object))
    join_day = MONTHS[0] + pd.to_timedelta(join * 30.44 + rng.integers(0, 28, n), unit="D")
    leave_day = MONTHS[np.minimum(leave, len(MONTHS) - 1)] + pd.to_timedelta(rng.integers(0, 28, n), unit="D")
    roster = pd.DataFrame({
        "email": email,
        "name": names,
        "organisation": np.where(patient, "", [f"{TOWNS[o % len(TOWNS)]} {SECTORS[s][0]} {o}"
                                              for o, s in zip(org, sector, strict=True)]),
        "sector": np.where(patient, "patient/carer", sector),
        "profession": np.where(patient, "patient representative", profession),
        "region": np.array(REGIONS)[org % len(REGIONS)],
        "patient_or_carer": np.where(patient, "true", np.where(rng.random(n) < 0.05, "", "false")),
        "joined_on": np.where(rng.random(n) < 0.03, "", np.datetime_as_string(join_day.to_numpy(), unit="D")),
        "left_on": np.where(leaver, np.datetime_as_string(leave_day.to_numpy(), unit="D"), ""),
        "other_emails": alias,
    })
    return Members(email, alias, names, join, leave, propensity, hosts), roster


def address(rng: np.random.Generator, m: Members, who: np.ndarray, alias_share: float) -> np.ndarray:
    """The address a row is exported under: sometimes the roster alias, now and then in capitals."""
    out = np.where((m.alias[who] != "") & (rng.random(len(who)) < alias_share), m.alias[who], m.email[who])
    shout = rng.random(len(who)) < 0.02
    out[shout] = np.char.capitalize(out[shout].astype(str))
    return out


def top_k(rng: np.random.Generator, weight: np.ndarray, eligible: np.ndarray, k: int, first: np.ndarray) -> np.ndarray:
    """Row-wise weighted sampling without replacement (Gumbel top-k), ``first`` of each row ranked first."""
    keys = np.log(weight)[None, :] - np.log(-np.log(rng.random(eligible.shape)))
    keys[~eligible] = -np.inf
    keys[np.arange(len(keys)), first] = np.inf
    return np.argsort(-keys, axis=1)[:, :k]


def make_attendance(rng: np.random.Generator, m: Members, target_rows: int, network_no: int) -> pd.DataFrame:
    n = len(m.email)
    current = np.array([m.current(t).sum() for t in range(len(MONTHS))])
    size = np.clip(np.round(current * 0.3), 4, 60)
    # A meeting yields about 1.2 rows a participant (rejoins, registered no-shows), fewer where
    # the network is too small for the size drawn.
    per_month = target_rows / (size * 1.2).sum()
    season = np.where(MONTHS.month == 8, 0.6, np.where(MONTHS.month == 12, 0.7, 1.05))
    counts = rng.poisson(per_month * season)
    meeting_month, parts = [], []
    for t in np.flatnonzero((counts > 0) & (current >= 3)):
        count, eligible = counts[t], m.current(t)
        sizes = np.clip(rng.poisson(size[t], count), 2, current[t])
        no_shows = np.minimum(rng.binomial(sizes, 0.12), current[t] - sizes)
        # Each meeting is hosted by one of the network's coordinators (ranked first); the
        # others are drawn by propensity among current members, the last ones as no-shows.
        host = m.hosts[rng.integers(0, len(m.hosts), count)]
        ranked = top_k(rng, m.propensity, np.broadcast_to(eligible, (count, n)).copy(),
                       int((sizes + no_shows).max()), host)
        rank = np.broadcast_to(np.arange(ranked.shape[1]), ranked.shape)
        chosen = rank < (sizes + no_shows)[:, None]
        meeting = np.broadcast_to(np.arange(count)[:, None], ranked.shape)[chosen]
        parts.append((meeting + len(meeting_month), ranked[chosen], rank[chosen], (rank < sizes[:, None])[chosen]))
        meeting_month += [t] * count
    if not parts:
        return pd.DataFrame(columns=["meeting_id", "meeting_title", "meeting_start", "meeting_end", "email", "name",
                                     "joined_at", "left_at", "role", "status", "_month"])
    meeting, who, rank, attended = (np.concatenate(column) for column in zip(*parts, strict=True))
    meeting_month = np.array(meeting_month)
    meetings = len(meeting_month)
    day = np.busday_offset(MONTHS.to_numpy().astype("datetime64[D]")[meeting_month], 0, roll="forward")
    day = np.busday_offset(day, rng.integers(0, 19, meetings), roll="forward")
    start = day + (rng.integers(18, 33, meetings) * 30).astype("timedelta64[m]")  # 09:00 to 16:00
    cohosted = rng.random(meetings) < 0.2
    role = np.where(rank == 0, "host", np.where((rank == 1) & cohosted[meeting], "cohost", ""))
    walk_in = attended & (role == "") & (rng.random(len(who)) < 0.05)
    rows = pd.DataFrame({
        "meeting": meeting, "who": who, "role": role,
        "status": np.where(walk_in, "walk-in", np.where(attended, "attended", "registered")),
        "title": np.array(SERIES)[rng.integers(0, len(SERIES), meetings)][meeting],
        "start": start[meeting].astype("datetime64[ns]"),
        "minutes": rng.choice([60, 90, 120], size=meetings, p=[0.6, 0.3, 0.1])[meeting],
        "_month": meeting_month[meeting],
    })
    rows = add_rejoins(rng, rows)
    end = rows["start"] + pd.to_timedelta(rows["minutes"], unit="m")
    joined = rows["start"] + pd.to_timedelta(rng.integers(-5, 12, len(rows)), unit="m") + rows["_offset"]
    left = np.minimum(end + pd.to_timedelta(rng.integers(-5, 5, len(rows)), unit="m"),
                      rows["start"] + rows["_until"])
    left = np.maximum(left, joined + pd.Timedelta(minutes=1))
    registered = rows["status"] == "registered"
    email = address(rng, m, rows["who"].to_numpy(), 0.1)
    guest = (rows["role"] == "").to_numpy() & (rng.random(len(rows)) < 0.015)  # never on the roster
    email[guest] = [f"guest{network_no}-{k}@partner{k % 7}.example" for k in rng.integers(0, 400, guest.sum())]
    return pd.DataFrame({
        "meeting_id": (81_000_000_000 + network_no * 1_000_000 + rows["meeting"]).astype(str),
        "meeting_title": rows["title"],
        "meeting_start": iso(rows["start"]),
        "meeting_end": iso(end),
        "email": email,
        "name": np.where(guest, "Guest", m.name[rows["who"]]),
        "joined_at": np.where(registered, "", iso(joined)),
        "left_at": np.where(registered, "", iso(left)),
        "role": rows["role"],
        "status": rows["status"].where(rows["status"] != "attended", np.where(rng.random(len(rows)) < 0.5,
                                                                             "attended", "")),
        "_month": rows["_month"],
    }).sort_values(["meeting_start", "meeting_id", "joined_at"], kind="stable")


def add_rejoins(rng: np.random.Generator, rows: pd.DataFrame) -> pd.DataFrame:
    """A tenth of participants drop out and rejoin: two segments, the second after a short gap."""
    rows = rows.assign(_offset=pd.Timedelta(0), _until=pd.to_timedelta(rows["minutes"] + 10, unit="m"))
    rejoin = (rows["status"] != "registered") & (rng.random(len(rows)) < 0.1)
    drop = pd.to_timedelta(rng.integers(15, 40, len(rows)), unit="m")
    second = rows[rejoin].assign(_offset=drop[rejoin.to_numpy()] + pd.Timedelta(minutes=3))
    rows.loc[rejoin, "_until"] = drop[rejoin.to_numpy()]
    return pd.concat([rows, second], ignore_index=True)


def make_forum(rng: np.random.Generator, m: Members, target_rows: int, utc: bool) -> pd.DataFrame:
    """Topics, replies (to the topic or to an earlier reply) and reactions, by current members."""
    topics = max(1, round(target_rows * 0.18))
    minutes = int((END - START).total_seconds() // 60)
    daytime = np.clip(rng.normal(13 * 60, 200, topics), 0, 24 * 60 - 1).astype(int)  # mostly working hours
    topic_at = np.sort(rng.integers(0, minutes // (24 * 60), topics) * 24 * 60 + daytime)
    popularity = rng.lognormal(0, 1, topics)
    answers = max(target_rows - topics, 0)
    topic = np.concatenate([np.arange(topics), rng.choice(topics, size=answers, p=popularity / popularity.sum())])
    delay = np.concatenate([np.zeros(topics), 1 + rng.exponential(2 * 24 * 60, answers)]).astype(int)
    at = np.minimum(topic_at[topic] + delay, minutes - 1)
    kind = np.concatenate([np.full(topics, "topic"), np.where(rng.random(answers) < 0.7, "reply", "reaction")])
    posts = pd.DataFrame({"topic": topic, "at": at, "kind": kind, "starter": delay == 0})
    posts = posts.sort_values(["topic", "starter", "at"], ascending=[True, False, True], kind="stable")
    posts["post_id"] = "p" + pd.Series(rng.permutation(len(posts)) + 1000, index=posts.index).astype(str)
    # A reply or reaction answers the topic starter or the latest earlier post that is not a reaction.
    earlier = posts["post_id"].where(posts["kind"] != "reaction").groupby(posts["topic"]).shift(1)
    earlier = earlier.groupby(posts["topic"]).ffill()
    starter = posts["post_id"].where(posts["starter"]).groupby(posts["topic"]).transform("first")
    reply_to = np.where(rng.random(len(posts)) < 0.5, starter, earlier.fillna(starter))
    created = START + pd.to_timedelta(posts["at"].to_numpy(), unit="m")
    month = (created.year - START.year) * 12 + created.month - 1
    author = np.zeros(len(posts), dtype=int)
    for t in np.unique(month):
        here = month == t
        eligible = np.flatnonzero(m.current(t)) if m.current(t).any() else np.arange(len(m.email))
        p = m.propensity[eligible]
        author[here] = rng.choice(eligible, size=here.sum(), p=p / p.sum())
    is_topic = posts["kind"].to_numpy() == "topic"
    return pd.DataFrame({
        "post_id": posts["post_id"].to_numpy(),
        "topic_id": np.where(is_topic & (rng.random(len(posts)) < 0.3), "", starter.to_numpy()),
        "reply_to_post_id": np.where(is_topic, "", reply_to),
        "email": address(rng, m, author, 0.4),
        "name": m.name[author],
        "created_at": np.char.add(iso(created), "Z" if utc else ""),
        "kind": kind_case(rng, posts["kind"].to_numpy()),
        "_month": month,
    }).sort_values("created_at", kind="stable")


def kind_case(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    return np.where(rng.random(len(kind)) < 0.05, np.char.capitalize(kind.astype(str)), kind)


def make_survey(rng: np.random.Generator, m: Members, waves: int) -> pd.DataFrame:
    """netpulse-core-v1 waves in March or September; a third answer, some twice, some unfinished."""
    wave_months = np.sort(rng.choice(np.arange(2, len(MONTHS), 6), size=waves, replace=False))
    leaning = rng.normal(0, 0.7, len(m.email))
    frames = []
    for t in wave_months:
        eligible = np.flatnonzero(m.current(t))
        who = eligible[rng.random(len(eligible)) < 0.28]
        again = who[rng.random(len(who)) < 0.04]  # a resubmission replaces the first in the period
        who = np.concatenate([who, again])
        k = len(who)
        submitted = (MONTHS[t] + pd.to_timedelta(np.minimum(rng.exponential(6, k), 20).astype(int), unit="D")
                     + pd.to_timedelta(rng.integers(8 * 3600, 21 * 3600, k), unit="s"))
        submitted = submitted + pd.to_timedelta(np.where(np.arange(k) >= k - len(again), 86400, 0), unit="s")
        finished = rng.random(k) < 0.88
        scores = np.clip(np.round(3.4 + leaning[who][:, None] + rng.normal(0, 0.8, (k, len(ITEMS)))), 1, 5)
        stopped = np.where(finished, len(ITEMS), rng.integers(1, len(ITEMS), k))
        blank = (np.arange(len(ITEMS))[None, :] >= stopped[:, None]) | (rng.random(scores.shape) < 0.03)
        frame = pd.DataFrame({
            "response_id": [f"R_{MONTHS[t]:%Y%m}_{j:05d}" for j in range(k)],
            "instrument": INSTRUMENT,
            "submitted_at": iso(submitted),
            "email": address(rng, m, who, 0.2),
            "finished": np.where(finished, "true", "false"),
        })
        answers = pd.DataFrame(np.where(blank, "", scores.astype(int).astype(str)), columns=ITEMS)
        frames.append(pd.concat([frame, answers], axis=1).assign(_month=t))
    return pd.concat(frames, ignore_index=True)


def write_new_file(landing: Path, tag: str, network: str | None = None, rows: int = 50) -> Path:
    """One new small attendance file (a late meeting in December 2025) for an existing network."""
    network = network or min(p.name for p in landing.iterdir() if p.is_dir())
    rng = np.random.default_rng(zlib.crc32(tag.encode()))
    roster = pd.read_csv(next((landing / network / "roster").glob("*.csv")), dtype=str, keep_default_na=False)
    emails = roster.loc[roster["left_on"] == "", "email"].to_numpy()
    who = rng.choice(emails, size=min(rows, len(emails)), replace=False)
    start = pd.Timestamp("2025-12-17 14:00")
    joined = start + pd.to_timedelta(rng.integers(-5, 10, len(who)), unit="m")
    frame = pd.DataFrame({
        "meeting_id": f"late-{tag}",
        "meeting_title": "Extra session: winter pressures",
        "meeting_start": iso([start])[0],
        "meeting_end": iso([start + pd.Timedelta(hours=1)])[0],
        "email": who,
        "name": "",
        "joined_at": iso(joined),
        "left_at": iso(joined + pd.Timedelta(minutes=50)),
        "role": np.where(np.arange(len(who)) == 0, "host", "attendee"),
        "status": "attended",
    })
    return write(frame, landing / network / "attendance" / f"late-meeting-{tag}.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--networks", type=int, default=200)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    landing = write_landing(args.landing, args.networks, args.events, args.seed)
    print(f"{landing.file_count:,} files, {landing.megabytes:,.1f} MB, {landing.events:,} events "
          f"({', '.join(f'{s} {n:,}' for s, n in landing.rows.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
