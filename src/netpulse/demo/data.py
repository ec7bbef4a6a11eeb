"""Synthetic demo data: a landing zone with four networks and their configuration.

The demo tells four stories, one per network, so every part of the pipeline has something
to show:

* ``resp-clinical``: an established clinical network, growing in its first year, then
  stable, with a busy forum and a survey every six months.
* ``frailty-learning``: a healthy learning network that goes dormant in its last months.
* ``digital-inclusion``: an emerging network, started recently, with many newcomers who
  mostly do not stay.
* ``carers-voice``: a pre-emergent planning group of carers and patients.

The files imitate real exports, including their untidiness: people who drop out of a call
and rejoin, registered no-shows, walk-ins, blank optional fields, members who use a second
e-mail address (in odd capitalisation, with stray spaces), a forum export that switched to
UTC part way through, and one malformed delivery that the pipeline must quarantine.

Everything is driven by ``random.Random`` seeded from ``seed`` and dated relative to ``end``,
so a given seed and end date always produce the same bytes.  Only fake names and
addresses are used (domains end in ``.example`` or ``example.org``).
"""

from __future__ import annotations

import csv
import random
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from netpulse.config.sources import FORMATS

DEMO_END = date(2026, 9, 30)  # data runs up to the end of Q3 2026, so the demo is reproducible
# One programme holds the four demo networks, so the demo pack has a programme overview to read.
DEMO_PROGRAMME = "Improving care together"

# The earliest end date for which every story still makes sense (the established networks
# start in January 2024 and need a good year and a half to grow and, for one, decline).
_EARLIEST_END = date(2025, 7, 1)

TIMEZONE = "Europe/London"
SURVEY_INSTRUMENT = "netpulse-core-v1"
SURVEY_ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6")

# The generic formats' columns, from the source registry; survey files add their items.
COLUMNS = {name: (*fmt.required, *(SURVEY_ITEMS if name == "survey" else ())) for name, fmt in FORMATS.items()}

FIRST_NAMES = (
    "Aisha", "Ben", "Chloe", "Daniel", "Eleanor", "Farhan", "Grace", "Harry", "Imogen", "Jack",
    "Kavita", "Liam", "Maya", "Nathan", "Olivia", "Priya", "Rhys", "Siân", "Tom", "Uma",
    "Victoria", "Wei", "Yusuf", "Zoë", "Amara", "Callum", "Delyth", "Ewan", "Fatima", "Gareth",
)
LAST_NAMES = (
    "Ahmed", "Baker", "Campbell", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Morgan", "Nowak", "O'Neill", "Patel", "Quinn", "Roberts",
    "Singh", "Thomas", "Usman", "Walsh", "Williams", "Young", "Clarke", "Edwards", "Murphy",
    "Okafor", "Price", "Shah",
)
REGIONS = ("Northshire", "Southvale", "Eastmoor", "Westbridge")
PROFESSIONS = {
    "acute": ("Consultant physician", "Specialist nurse", "Physiotherapist", "Pharmacist",
              "Service manager"),
    "primary care": ("GP", "Practice nurse", "Clinical pharmacist", "Practice manager"),
    "community": ("District nurse", "Community physiotherapist", "Occupational therapist",
                  "Team leader"),
    "mental health": ("Clinical psychologist", "Mental health nurse", "Peer support worker"),
    "social care": ("Social worker", "Care manager", "Commissioner"),
    "voluntary": ("Project coordinator", "Volunteer manager", "Chief executive"),
    "patient/carer": ("Patient representative", "Carer"),
}
# Patients, carers and guests use personal addresses, not an employer's.
PERSONAL_DOMAIN = "home-mail.example"
GUEST_DOMAIN = "mailbox.example"
ALIAS_DOMAIN = "example.org"


# --------------------------------------------------------------------------------------
# The building blocks of a story
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Organisation:
    name: str
    sector: str
    domain: str
    weight: int = 1  # how many members come from here, relative to the others

    def weighted(self, weight: int) -> Organisation:
        return replace(self, weight=weight)


# Organisations that take part in more than one network, as real ones do.
_ORG_ACUTE_A = Organisation("Northshire Hospitals NHS Foundation Trust", "acute",
                            "nhs-trust-a.example")
_ORG_PCN = Organisation("Riverside Primary Care Network", "primary care", "riverside-pcn.example")
_ORG_COMMUNITY = Organisation("Northshire Community Health Services", "community",
                              "community-health.example")
_ORG_COUNCIL = Organisation("Northshire County Council", "social care",
                            "northshire-council.example")
# Patients and carers join as themselves, with personal addresses.
_ORG_PATIENTS = Organisation("Patient and carer partners", "patient/carer", PERSONAL_DOMAIN)


@dataclass
class Member:
    """One person in a network, with how they behave while they are engaged."""

    email: str
    name: str
    organisation: Organisation
    profession: str
    region: str
    joined_on: date
    tier: str                 # core | regular | casual | newcomer (descriptive only)
    attend_rate: float        # chance of attending a meeting while engaged
    forum_weight: float       # relative chance of writing a given forum post
    engaged_until: date       # after this they take no part (they left, or drifted away)
    satisfaction: float       # their typical survey answer, 1-5
    left_on: date | None = None
    other_emails: list[str] = field(default_factory=list)

    def engaged_on(self, day: date) -> bool:
        return self.joined_on <= day <= self.engaged_until


@dataclass(frozen=True)
class MonthPlan:
    """What a network does in one calendar month."""

    month: date
    meeting_day: date | None = None
    meeting_title: str = ""
    start_time: time = time(14, 0)
    minutes: int = 90
    in_person: bool = False
    meeting_scale: float = 1.0      # multiplies every member's attend_rate this month
    group_size: int | None = None   # a fixed-size gathering instead of the usual turnout
    forum_posts: int = 0            # topics and replies; reactions come on top
    reactions_per_post: float = 0.0


@dataclass
class Story:
    """Everything needed to write one network's files and its configuration entry."""

    network_id: str
    name: str
    type: str
    programme: str
    started_on: date
    quarter_start_month: int
    meeting_prefix: str
    members: list[Member]
    months: list[MonthPlan]
    hosts: list[Member]
    cohosts: bool = False
    survey_waves: list[date] = field(default_factory=list)
    forum_utc_from: date | None = None  # the forum export switched to UTC ("Z") from here
    guests: _People | None = None  # names walk-in guests, unique among the members
    # How this network's members lean on each survey item, against their usual view: the
    # established network's members find leadership shared and trust each other; the
    # emerging network's newcomers do not know each other yet.
    survey_leaning: dict[str, float] = field(default_factory=dict)
    priority_themes: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------

def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return _add_months(month, 1) - timedelta(days=1)


def _months(first: date, last: date) -> list[date]:
    """First days of every month from ``first`` to ``last`` inclusive."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    return months


def _nth_weekday(month: date, weekday: int, n: int) -> date:
    """The n-th given weekday (Monday = 0) of a month."""
    first = month + timedelta(days=(weekday - month.weekday()) % 7)
    return first + timedelta(weeks=n - 1)


def _last_weekday(month: date, weekday: int) -> date:
    last = _month_end(month)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _quarter_label(day: date) -> str:
    """Calendar quarter of a day, as exports are delivered (``2025-Q3``)."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _random_datetime(rng: random.Random, first: date, last: date, hours: range) -> datetime:
    """A moment between two days (inclusive), at an hour drawn from ``hours``.

    Activity is kept between 07:00 and 22:00 so no local time falls in the hour that a
    daylight-saving change skips or repeats: such times would be ambiguous in the UTC
    forum export.
    """
    day = first + timedelta(days=rng.randint(0, (last - first).days))
    return datetime.combine(day, time(rng.choice(hours), rng.randint(0, 59), rng.randint(0, 59)))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

def _slug(text: str) -> str:
    """ASCII e-mail local part from a name: 'Siân O'Neill' -> 'sian.oneill'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = ["".join(ch for ch in part if ch.isalnum()) for part in ascii_text.lower().split()]
    return ".".join(part for part in parts if part)


class _People:
    """Hands out fake names and unique e-mail addresses within one network."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_emails: set[str] = set()

    def _unique(self, local: str, domain: str) -> str:
        email, n = f"{local}@{domain}", 1
        while email in self.used_emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.used_emails.add(email)
        return email

    def person(self, domain: str) -> tuple[str, str]:
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        return name, self._unique(_slug(name), domain)

    def alias(self, name: str, domain: str = ALIAS_DOMAIN) -> str:
        # A personal address looks different from the work one: no dot, a number.
        return self._unique(f"{_slug(name).replace('.', '')}{self.rng.randint(10, 99)}", domain)


def _new_member(
    rng: random.Random,
    people: _People,
    organisations: list[Organisation],
    *,
    tier: str,
    joined_on: date,
    end: date,
    attend_rate: float,
    forum_weight: float,
) -> Member:
    organisation = rng.choices(organisations, weights=[o.weight for o in organisations])[0]
    name, email = people.person(organisation.domain)
    return Member(
        email=email,
        name=name,
        organisation=organisation,
        profession=rng.choice(PROFESSIONS[organisation.sector]),
        region=rng.choice(REGIONS),
        joined_on=joined_on,
        tier=tier,
        attend_rate=attend_rate,
        forum_weight=forum_weight,
        engaged_until=end,
        satisfaction=rng.uniform(2.8, 4.6),
    )


def _join_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _tier(
    rng: random.Random, people: _People, organisations: list[Organisation], *, tier: str,
    count: int, joined: tuple[date, date], end: date, attend: tuple[float, float],
    forum: tuple[float, float],
) -> list[Member]:
    """``count`` members of one tier, joining between two dates."""
    return [
        _new_member(
            rng, people, organisations, tier=tier, joined_on=_join_date(rng, *joined), end=end,
            attend_rate=rng.uniform(*attend), forum_weight=rng.uniform(*forum),
        )
        for _ in range(count)
    ]


def _some_leave(rng: random.Random, members: list[Member], end: date, share: float) -> None:
    """A share of non-core members leave the network (roster left_on) and stop taking part."""
    for member in members:
        if member.tier == "core" or rng.random() >= share:
            continue
        earliest = member.joined_on + timedelta(days=90)
        if earliest < end - timedelta(days=30):
            member.left_on = _join_date(rng, earliest, end - timedelta(days=30))
            member.engaged_until = member.left_on


def _give_aliases(rng: random.Random, people: _People, members: list[Member]) -> None:
    """About 5% of members also use a personal address; one of them has two others.

    Aliases go to people who take part often enough for the second address to show up
    in the activity files, which is what identity resolution needs to be exercised on.
    """
    active = [m for m in members if m.attend_rate >= 0.3 and m.left_on is None]
    count = min(len(active), max(1, round(len(members) * 0.05)))
    for index, member in enumerate(rng.sample(active, count)):
        member.other_emails.append(people.alias(member.name))
        if index == 0 and len(members) >= 50:
            # Someone who moved employer and still sometimes uses the old address.
            member.other_emails.append(people.alias(member.name, "old-trust.example"))


def _messy(rng: random.Random, email: str) -> str:
    """The same address as people actually type it: capitals, stray spaces."""
    local, domain = email.split("@")
    local = ".".join(part.capitalize() for part in local.split("."))
    labels = domain.split(".")
    labels[0] = labels[0].upper() if rng.random() < 0.5 else labels[0].capitalize()
    typed = f"{local}@{'.'.join(labels)}"
    return f" {typed} " if rng.random() < 0.7 else typed


def _identity(rng: random.Random, member: Member) -> tuple[str, str]:
    """The e-mail and display name a member shows in one activity row."""
    if member.other_emails and rng.random() < 0.35:
        email = rng.choice(member.other_emails)
        first, last = member.name.split(" ", 1)
        name = f"{first} {last[0]}." if rng.random() < 0.5 else member.name
    else:
        email, name = member.email, member.name
    if rng.random() < 0.03 or (member.other_emails and rng.random() < 0.1):
        email = _messy(rng, email)
    return email, name


# --------------------------------------------------------------------------------------
# The four stories
# --------------------------------------------------------------------------------------

def _title(short_name: str, topics: tuple[str, ...], index: int, kind: str) -> str:
    return f"{short_name} {kind}: {topics[index % len(topics)]}"


def _resp_clinical(rng: random.Random, end: date) -> Story:
    """Established: started January 2024, grows through its first year, then stable."""
    start, end_month = date(2024, 1, 1), end.replace(day=1)
    orgs = [
        _ORG_ACUTE_A.weighted(30),
        Organisation("Southvale University Hospitals NHS Trust", "acute",
                     "nhs-trust-b.example", 18),
        _ORG_PCN.weighted(20),
        _ORG_COMMUNITY.weighted(12),
        Organisation("Northshire Mental Health Partnership", "mental health",
                     "mh-partnership.example", 4),
        _ORG_COUNCIL.weighted(2),
        Organisation("Breathe Easy Northshire", "voluntary", "breathe-easy.example", 6),
        _ORG_PATIENTS.weighted(6),
    ]
    people = _People(rng)
    first_month = (start, date(2024, 1, 28))
    core = _tier(rng, people, orgs, tier="core", count=25, joined=first_month, end=end,
                 attend=(0.8, 0.95), forum=(2.0, 5.0))
    regulars = (
        _tier(rng, people, orgs, tier="regular", count=10, joined=first_month, end=end,
              attend=(0.4, 0.65), forum=(0.8, 2.0))
        + _tier(rng, people, orgs, tier="regular", count=32,
                joined=(date(2024, 2, 1), date(2024, 12, 15)), end=end,
                attend=(0.4, 0.65), forum=(0.8, 2.0))
    )
    casual = _tier(rng, people, orgs, tier="casual", count=45,
                   joined=(start, end - timedelta(days=20)), end=end,
                   attend=(0.05, 0.2), forum=(0.1, 0.6))
    members = core + regulars + casual
    _some_leave(rng, members, end, share=0.08)
    _give_aliases(rng, people, members)

    topics = (
        "inhaler technique, spirometry and the winter plan",
        "pulmonary rehabilitation waiting lists",
        "home oxygen review", "COPD discharge bundle", "asthma in young people",
        "breathlessness pathway", "virtual wards: what we learned",
    )
    months = []
    for index, month in enumerate(_months(start, end_month)):
        # Forum grows through year one, then settles; quieter in August and December.
        posts = 50 + 40 * min(1.0, index / 12) + rng.randint(-8, 10)
        seasonal = 0.75 if month.month in (8, 12) else 1.0
        in_person = month.month == 10  # the annual learning event, just after the clocks change
        # Last Thursday: in March and October this is a few days from the clock change.
        # December's meeting is a week earlier, clear of Christmas.
        meeting_day = _last_weekday(month, 3) - timedelta(weeks=1 if month.month == 12 else 0)
        months.append(MonthPlan(
            month=month,
            meeting_day=meeting_day,
            meeting_title=_title("Respiratory network", topics, index,
                                 "annual learning event" if in_person else "monthly meeting"),
            start_time=time(10, 0) if in_person else time(14, 0),
            minutes=330 if in_person else 90,
            in_person=in_person,
            meeting_scale=seasonal,
            forum_posts=max(40, min(100, round(posts * seasonal))),
            reactions_per_post=3.5,  # reactions are the commonest thing people do on a forum
        ))
    waves = [m for m in _months(start, end_month) if m.month in (6, 12)]
    return Story(
        network_id="resp-clinical", name="Respiratory Clinical Network", type="clinical network",
        programme=DEMO_PROGRAMME, started_on=start, quarter_start_month=4,
        meeting_prefix="resp", members=members, months=months, hosts=core[:3], cohosts=True,
        survey_waves=waves, forum_utc_from=_add_months(end_month, -8), guests=people,
        survey_leaning={"q1": 0.3, "q4": 0.6, "q5": 0.6},
        priority_themes=("COPD", "pulmonary rehabilitation", "breathlessness", "asthma", "home oxygen"),
    )


def _frailty_learning(rng: random.Random, end: date) -> Story:
    """Healthy for two years, then declines sharply and goes quiet (dormant)."""
    start, end_month = date(2024, 1, 1), end.replace(day=1)
    decline = _add_months(end_month, -9)      # December 2025 for the demo end date
    silent_from = _add_months(end_month, -2)  # nothing at all in the last three months
    last_gathering = _add_months(decline, 4)  # one small meeting in April 2026
    orgs = [
        _ORG_COMMUNITY.weighted(25),
        _ORG_ACUTE_A.weighted(15),
        _ORG_COUNCIL.weighted(12),
        Organisation("Evergreen Care Homes", "social care", "evergreen-care.example", 8),
        _ORG_PCN.weighted(10),
        Organisation("Age Well Northshire", "voluntary", "agewell.example", 6),
        _ORG_PATIENTS.weighted(4),
    ]
    people = _People(rng)
    last_join = decline - timedelta(days=40)
    members = (
        _tier(rng, people, orgs, tier="core", count=14, joined=(start, date(2024, 1, 20)),
              end=end, attend=(0.8, 0.95), forum=(2.0, 5.0))
        + _tier(rng, people, orgs, tier="regular", count=22, joined=(start, date(2024, 10, 31)),
                end=end, attend=(0.35, 0.6), forum=(0.8, 2.0))
        + _tier(rng, people, orgs, tier="casual", count=22, joined=(start, last_join), end=end,
                attend=(0.05, 0.2), forum=(0.1, 0.6))
    )
    _some_leave(rng, members, decline, share=0.08)
    _give_aliases(rng, people, members)

    topics = ("falls prevention", "comprehensive geriatric assessment in the community",
              "deprescribing, polypharmacy and medicines review", "care home links",
              "frailty scores in primary care", "hospital at home")
    months = []
    for index, month in enumerate(_months(start, end_month)):
        meeting = dict(
            meeting_day=_nth_weekday(month, 1, 3),  # third Tuesday, mid-morning
            start_time=time(10, 0),
            in_person=month.month == 5,  # a face-to-face event each May
            meeting_title=_title("Frailty learning", topics, index,
                                 "face-to-face event" if month.month == 5 else "monthly session"),
        )
        if month < decline:
            plan = MonthPlan(month, **meeting, forum_posts=rng.randint(25, 40),
                             reactions_per_post=2.5)
        elif month == decline:
            plan = MonthPlan(month, **meeting, meeting_scale=0.55, forum_posts=12,
                             reactions_per_post=0.8)
        elif month == _add_months(decline, 1):
            plan = MonthPlan(month, **meeting, meeting_scale=0.3, forum_posts=5,
                             reactions_per_post=0.5)
        elif month >= silent_from:
            plan = MonthPlan(month)
        elif month == last_gathering:
            meeting.update(in_person=False, meeting_title="Frailty learning: where next?")
            plan = MonthPlan(month, **meeting, group_size=rng.randint(3, 4),
                             forum_posts=rng.randint(0, 3))
        else:
            plan = MonthPlan(month, forum_posts=rng.randint(0, 3))
        months.append(plan)
    waves = [m for m in _months(start, end_month) if m.month == 10 and m < decline]
    core = [m for m in members if m.tier == "core"]
    return Story(
        network_id="frailty-learning", name="Frailty Learning Network", type="learning network",
        programme=DEMO_PROGRAMME, started_on=start, quarter_start_month=1,
        meeting_prefix="frail", members=members, months=months, hosts=core[:2],
        survey_waves=waves, guests=people,
        priority_themes=("falls", "frailty", "deprescribing", "hospital at home"),
    )


def _digital_inclusion(rng: random.Random, end: date) -> Story:
    """Emerging: started ten months before the end, growing, but few newcomers stay."""
    end_month = end.replace(day=1)
    start = _add_months(end_month, -10)  # November 2025 for the demo end date
    orgs = [
        Organisation("Digital Champions Northshire", "voluntary", "digital-champions.example", 20),
        Organisation("Community Connectors CIC", "voluntary", "connectors.example", 10),
        Organisation("Westbridge Council Adult Social Care", "social care",
                     "westbridge-council.example", 12),
        _ORG_PCN.weighted(10),
        _ORG_COMMUNITY.weighted(6),
        Organisation("Eastmoor Mental Health Services", "mental health", "eastmoor-mh.example", 4),
        _ORG_PATIENTS.weighted(6),
    ]
    people = _People(rng)
    founders = _tier(rng, people, orgs, tier="core", count=8,
                     joined=(start, start + timedelta(days=4)), end=end,
                     attend=(0.85, 0.95), forum=(2.0, 4.0))
    members = list(founders)
    for index, month in enumerate(_months(start, end_month)[1:], start=1):
        for _ in range(round(1 + 0.9 * index) + rng.randint(0, 1)):
            joined_on = _join_date(rng, month, _month_end(month))
            newcomer = _new_member(rng, people, orgs, tier="newcomer", joined_on=joined_on,
                                   end=end, attend_rate=0.0, forum_weight=rng.uniform(0.3, 1.5))
            if rng.random() < 0.25:  # the few who stay
                newcomer.tier, newcomer.attend_rate = "regular", rng.uniform(0.5, 0.75)
            else:  # keen for a month or two, then drift away (still on the roster)
                newcomer.attend_rate = 0.8
                stays_for = timedelta(days=rng.randint(20, 75))
                newcomer.engaged_until = min(end, newcomer.joined_on + stays_for)
            members.append(newcomer)
    members = [m for m in members if m.joined_on <= end]
    _give_aliases(rng, people, members)

    topics = ("getting started with the NHS App", "data poverty, devices and connectivity",
              "training digital champions", "accessible appointment letters", "what people tell us")
    months = []
    for index, month in enumerate(_months(start, end_month)):
        in_person = index == 4  # a community drop-in in the spring
        months.append(MonthPlan(
            month=month,
            meeting_day=_nth_weekday(month, 0, 2),  # second Monday, lunchtime
            start_time=time(12, 30),
            minutes=120 if in_person else 60,
            in_person=in_person,
            meeting_title=_title("Digital inclusion", topics, index,
                                 "community drop-in" if in_person else "network meeting"),
            forum_posts=max(2, round(4 + 3 * index) + rng.randint(-2, 2)),
            reactions_per_post=1.5,
        ))
    return Story(
        network_id="digital-inclusion", name="Digital Inclusion Network",
        type="community of practice",
        programme=DEMO_PROGRAMME, started_on=start, quarter_start_month=4,
        meeting_prefix="dig", members=members, months=months, hosts=founders[:1],
        survey_waves=[_add_months(end_month, -3)], guests=people,
        survey_leaning={"q1": -0.2, "q4": -0.7, "q5": -0.6},
        priority_themes=("data poverty", "digital champions", "NHS App"),
    )


def _carers_voice(rng: random.Random, end: date) -> Story:
    """Pre-emergent: a planning group of carers and patients, meeting every month or two."""
    end_month = end.replace(day=1)
    start = _add_months(end_month, -4)  # May 2026 for the demo end date
    centre = Organisation("Northshire Carers Centre", "voluntary", "carers-centre.example")
    people = _People(rng)
    group = [
        _new_member(rng, people, [organisation], tier="core",
                    joined_on=_join_date(rng, start, start + timedelta(days=6)),
                    end=end, attend_rate=rng.uniform(0.8, 0.95), forum_weight=0.0)
        for organisation in (centre, _ORG_PATIENTS, _ORG_PATIENTS, _ORG_PATIENTS, _ORG_COUNCIL)
    ]
    late_joiner = _new_member(rng, people, [_ORG_PATIENTS], tier="regular",
                              joined_on=_add_months(start, 2) + timedelta(days=3),
                              end=end, attend_rate=0.7, forum_weight=0.0)
    members = [m for m in group + [late_joiner] if m.joined_on <= end]
    _give_aliases(rng, people, members)

    months, month, index = [], start, 0
    while month <= end_month:
        in_person = index % 2 == 0  # alternates between the carers centre and a video call
        months.append(MonthPlan(
            month=month,
            meeting_day=_nth_weekday(month, 3, 2),  # second Thursday, early evening
            start_time=time(18, 0),
            minutes=90,
            in_person=in_person,
            meeting_title="Carers voice planning group"
            + (" (at the carers centre)" if in_person else ""),
        ))
        month, index = _add_months(month, rng.choice((1, 2))), index + 1
    return Story(
        network_id="carers-voice", name="Carers Voice", type="patient and carer group",
        programme=DEMO_PROGRAMME, started_on=start, quarter_start_month=4,
        meeting_prefix="carers", members=members, months=months, hosts=group[:1], guests=people,
    )


STORIES = (_resp_clinical, _frailty_learning, _digital_inclusion, _carers_voice)


# --------------------------------------------------------------------------------------
# Attendance
# --------------------------------------------------------------------------------------

def _choose_attendees(rng: random.Random, engaged: list[Member], plan: MonthPlan) -> list[Member]:
    if plan.group_size is not None:
        # A fixed small gathering: the most committed people, drawn by their attend rate.
        pool, chosen = list(engaged), []
        while pool and len(chosen) < plan.group_size:
            pick = rng.choices(pool, weights=[m.attend_rate for m in pool])[0]
            chosen.append(pick)
            pool.remove(pick)
        return chosen
    return [m for m in engaged if rng.random() < min(0.97, m.attend_rate * plan.meeting_scale)]


def _segments(rng: random.Random, start: datetime, end: datetime, *, host: bool,
              in_person: bool) -> list[tuple[datetime, datetime]]:
    """When one person was in the meeting: usually one stretch, sometimes two.

    About 5% drop out (a lost connection, a ward call) and rejoin a few minutes later,
    which the export records as a second row.
    """
    if host:
        joined = start - timedelta(seconds=rng.randint(300, 720))
    elif in_person:
        joined = start + timedelta(seconds=rng.randint(-900, 2400))
    else:
        late = rng.random() < 0.1
        delay = rng.randint(600, 1500) if late else rng.randint(-300, 420)
        joined = start + timedelta(seconds=delay)
    if not host and rng.random() < 0.15:  # leaves early
        left = joined + (end - joined) * rng.uniform(0.4, 0.9)
    else:
        left = end + timedelta(seconds=rng.randint(-240, 300))
    left = max(left, joined + timedelta(minutes=5)).replace(microsecond=0)
    if not in_person and rng.random() < 0.05 and left - joined > timedelta(minutes=30):
        dropped = (joined + (left - joined) * rng.uniform(0.2, 0.7)).replace(microsecond=0)
        rejoined = dropped + timedelta(seconds=rng.randint(40, 360))
        return [(joined, dropped), (rejoined, left)]
    return [(joined, left)]


def _attendance_row(meeting: dict, email: str, name: str, joined: datetime | None,
                    left: datetime | None, role: str, status: str) -> dict:
    return {**meeting, "email": email, "name": name,
            "joined_at": _iso(joined) if joined else "", "left_at": _iso(left) if left else "",
            "role": role, "status": status}


def _meeting_rows(rng: random.Random, story: Story, plan: MonthPlan, index: int) -> list[dict]:
    """All rows of one meeting's export: attendees, registered no-shows and walk-ins."""
    day = plan.meeting_day
    start = datetime.combine(day, plan.start_time)
    end = start + timedelta(minutes=plan.minutes)
    meeting = {"meeting_id": f"{story.meeting_prefix}-{day.isoformat()}",
               "meeting_title": plan.meeting_title,
               "meeting_start": _iso(start), "meeting_end": _iso(end)}
    engaged = [m for m in story.members if m.engaged_on(day)]
    attendees = _choose_attendees(rng, engaged, plan)

    # One host per meeting, rotating among the network's leads; the host always turns up.
    leads = [m for m in story.hosts if m.engaged_on(day)] or attendees[:1]
    host = leads[index % len(leads)]
    if host not in attendees:
        if plan.group_size is not None and attendees:
            attendees.pop()  # a fixed-size gathering stays that size, host included
        attendees.insert(0, host)
    cohost = None
    if story.cohosts and rng.random() < 0.6:
        others = [m for m in attendees if m.tier == "core" and m is not host]
        cohost = rng.choice(others) if others else None

    rows = []
    for member in attendees:
        role = "host" if member is host else "cohost" if member is cohost else "attendee"
        if role == "attendee" and rng.random() < 0.1:
            role = ""  # blank means attendee in these exports
        email, name = _identity(rng, member)
        stretches = _segments(rng, start, end, host=member is host, in_person=plan.in_person)
        for joined, left in stretches:
            status = "" if rng.random() < 0.08 else "attended"  # blank means attended
            rows.append(_attendance_row(meeting, email, name, joined, left, role, status))

    absent = [m for m in engaged if m not in attendees]
    if not plan.in_person and plan.group_size is None:
        # People who registered for the call but never joined.
        for member in absent:
            if rng.random() < 0.12:
                email, name = _identity(rng, member)
                role = "attendee" if rng.random() < 0.7 else ""
                rows.append(_attendance_row(meeting, email, name, None, None, role, "registered"))
    if plan.in_person:
        rows.extend(_walk_in_rows(rng, story, meeting, start, end, absent))
    return sorted(rows, key=lambda row: (row["joined_at"] or "9999", row["email"].strip().lower()))


def _walk_in_rows(rng: random.Random, story: Story, meeting: dict, start: datetime, end: datetime,
                  absent: list[Member]) -> list[dict]:
    """A few people turn up at in-person meetings without registering.

    Some are occasional members; some are guests who are on no roster at all.
    """
    rows = []
    occasional = [m for m in absent if m.attend_rate < 0.3]
    for _ in range(rng.randint(1, 3)):
        if occasional and rng.random() < 0.6:
            member = occasional.pop(rng.randrange(len(occasional)))
            email, name = _identity(rng, member)
        else:
            name, email = story.guests.person(GUEST_DOMAIN)
        joined = start + timedelta(seconds=rng.randint(0, 2700))
        left = max(joined + timedelta(minutes=20), end - timedelta(seconds=rng.randint(0, 3600)))
        rows.append(_attendance_row(meeting, email, name, joined, left, "attendee", "walk-in"))
    return rows


def _attendance(rng: random.Random, story: Story, end: date) -> list[tuple[date, dict]]:
    """Every attendance row, keyed by the meeting's day (which decides its quarter file)."""
    keyed, index = [], 0
    for plan in story.months:
        if plan.meeting_day is None or plan.meeting_day > end:
            continue
        keyed.extend((plan.meeting_day, row) for row in _meeting_rows(rng, story, plan, index))
        index += 1
    return keyed


# --------------------------------------------------------------------------------------
# Forum
# --------------------------------------------------------------------------------------

@dataclass
class _Post:
    created: datetime
    author: Member
    kind: str                        # topic | reply | reaction
    topic: _Post | None = None     # None for a topic post itself
    parent: _Post | None = None
    post_id: str = ""


_FORUM_HOURS = range(7, 22)


def _later(rng: random.Random, moment: datetime, last_day: date) -> datetime | None:
    """A plausible time for a response to a post, or None if it would fall after ``last_day``.

    Responses are kept within the month of the post they answer, so a network that goes
    quiet really does go quiet (no stragglers spilling into its silent months).
    """
    if rng.random() < 0.7:
        later = moment + timedelta(minutes=rng.randint(5, 240), seconds=rng.randint(0, 59))
    else:
        later = moment + timedelta(minutes=rng.randint(240, 4320), seconds=rng.randint(0, 59))
    if later.hour not in _FORUM_HOURS:  # people answer the next morning
        next_day = later.date() + timedelta(days=1 if later.hour >= 22 else 0)
        later = datetime.combine(next_day, time(7, 0)) + timedelta(minutes=rng.randint(0, 120))
    return later if later.date() <= last_day else None


def _author(rng: random.Random, members: list[Member], day: date,
            avoid: Member | None = None) -> Member | None:
    """Someone engaged on ``day`` who writes on the forum, other than ``avoid``."""
    candidates = [m for m in members if m.engaged_on(day) and m.forum_weight > 0 and m is not avoid]
    if not candidates:
        return None
    return rng.choices(candidates, weights=[m.forum_weight for m in candidates])[0]


def _forum_month(rng: random.Random, story: Story, plan: MonthPlan, end: date) -> list[_Post]:
    """One month of threads: topics, replies to the topic or to earlier replies, reactions."""
    first, last = plan.month, min(_month_end(plan.month), end)
    posts: list[_Post] = []
    topic_count = min(plan.forum_posts, max(1, round(plan.forum_posts * 0.3)))
    topics, heat = [], []
    for _ in range(topic_count):
        created = _random_datetime(rng, first, last, _FORUM_HOURS)
        author = _author(rng, story.members, created.date())
        if author is None:
            continue
        topic = _Post(created, author, "topic")
        topics.append(topic)
        heat.append(rng.paretovariate(1.5))  # a few threads get most of the replies
    posts.extend(topics)
    for _ in range(plan.forum_posts - topic_count):
        if not topics:
            break
        topic = rng.choices(topics, weights=heat)[0]
        thread = [p for p in posts if p is topic or (p.topic is topic and p.kind == "reply")]
        parent = rng.choice(thread)
        created = _later(rng, parent.created, last)
        if created is None:
            continue  # it would have come after the month: it simply never happened
        author = _author(rng, story.members, created.date(), avoid=parent.author)
        if author is not None:
            posts.append(_Post(created, author, "reply", topic, parent))
    posts.extend(_reactions(rng, story, posts, plan.reactions_per_post, last))
    return posts


def _reactions(rng: random.Random, story: Story, posts: list[_Post], mean: float,
               last: date) -> list[_Post]:
    """Likes and similar, a geometric number per post with the given mean."""
    reactions = []
    for post in posts:
        while mean and rng.random() < mean / (1 + mean):
            created = _later(rng, post.created, last)
            if created is None:
                continue
            author = _author(rng, story.members, created.date(), avoid=post.author)
            if author is not None:
                reactions.append(_Post(created, author, "reaction", post.topic or post, post))
    return reactions


def _forum(rng: random.Random, story: Story, end: date) -> list[tuple[date, dict]]:
    """Every forum row, keyed by its local day. Post ids follow time order."""
    posts = [post for plan in story.months if plan.forum_posts
             for post in _forum_month(rng, story, plan, end)]
    kind_order = {"topic": 0, "reply": 1, "reaction": 2}
    posts.sort(key=lambda p: (p.created, kind_order[p.kind]))
    for number, post in enumerate(posts, start=1):
        post.post_id = f"p{number:06d}"
    zone = ZoneInfo(TIMEZONE)
    keyed = []
    for post in posts:
        if story.forum_utc_from and post.created.date() >= story.forum_utc_from:
            # After the platform upgrade the export gives UTC; before, local time.
            utc = post.created.replace(tzinfo=zone).astimezone(UTC)
            created_at = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            created_at = _iso(post.created)
        email, name = _identity(rng, post.author)
        keyed.append((post.created.date(), {
            "post_id": post.post_id,
            "topic_id": (post.topic or post).post_id,
            "reply_to_post_id": post.parent.post_id if post.parent else "",
            "email": email, "name": name, "created_at": created_at, "kind": post.kind,
        }))
    return keyed


# --------------------------------------------------------------------------------------
# Survey
# --------------------------------------------------------------------------------------

def _answers(rng: random.Random, member: Member, leaning: dict[str, float]) -> tuple[bool, list[str]]:
    """Likert answers 1-5 around the member's usual view; about 10% stop part way."""
    answers = []
    for item in range(len(SURVEY_ITEMS)):
        # Items differ a little in how favourably people tend to answer them.
        item_bias = 0.3 if item == 0 else -0.2 * (item % 3)
        item_bias += leaning.get(SURVEY_ITEMS[item], 0.0)
        value = round(member.satisfaction + item_bias + rng.gauss(0, 0.8))
        answers.append(str(min(5, max(1, value))) if rng.random() > 0.03 else "")
    finished = rng.random() >= 0.1
    if not finished:
        stopped_after = rng.randint(1, 4)  # leaves two to five items blank
        answers[stopped_after:] = [""] * (len(SURVEY_ITEMS) - stopped_after)
    return finished, answers


def _survey_wave(rng: random.Random, story: Story, wave: date, end: date) -> list[dict]:
    """Responses to one wave, open for three weeks from the first of the month."""
    last = min(wave + timedelta(days=20), end)
    responses = []
    for member in story.members:
        if member.engaged_on(wave) and rng.random() < 0.3 + 0.5 * member.attend_rate:
            finished, answers = _answers(rng, member, story.survey_leaning)
            submitted = _random_datetime(rng, wave, last, range(8, 22))
            email, _ = _identity(rng, member)
            responses.append((submitted, email, finished, answers))
    responses.sort(key=lambda response: response[0])
    rows = []
    for number, (submitted, email, finished, answers) in enumerate(responses, start=1):
        rows.append({
            "response_id": f"{story.meeting_prefix}-{wave:%Y%m}-{number:04d}",
            "instrument": SURVEY_INSTRUMENT, "submitted_at": _iso(submitted), "email": email,
            "finished": "true" if finished else "false", **dict(zip(SURVEY_ITEMS, answers, strict=False)),
        })
    return rows


# --------------------------------------------------------------------------------------
# Roster
# --------------------------------------------------------------------------------------

def _roster(story: Story, end: date) -> list[dict]:
    members = sorted((m for m in story.members if m.joined_on <= end),
                     key=lambda m: (m.name, m.email))
    return [{
        "email": m.email, "name": m.name, "organisation": m.organisation.name,
        "sector": m.organisation.sector, "profession": m.profession, "region": m.region,
        "patient_or_carer": "true" if m.organisation.sector == "patient/carer" else "false",
        "joined_on": m.joined_on.isoformat(), "left_on": m.left_on.isoformat() if m.left_on else "",
        "other_emails": ";".join(m.other_emails),
    } for m in members]


# --------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------

def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # newline="" and a fixed terminator: the same bytes on every platform.
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _write_quarterly(folder: Path, columns: tuple[str, ...], keyed: list[tuple[date, dict]],
                     first: date, end: date) -> list[Path]:
    """One file per calendar quarter from ``first`` to ``end``.

    A quarter without activity still gets a header-only file, as a real export would.
    """
    by_quarter: dict[str, list[dict]] = {}
    for day, row in keyed:
        by_quarter.setdefault(_quarter_label(day), []).append(row)
    labels = dict.fromkeys(_quarter_label(m) for m in _months(first, end))
    return [_write_csv(folder / f"{label}.csv", columns, by_quarter.get(label, []))
            for label in labels]


def _write_broken_export(folder: Path, keyed: list[tuple[date, dict]]) -> Path:
    """A re-export of the latest meeting whose header lost ``left_at``.

    Its rows also appear in the proper quarter file, so quarantining it loses nothing.
    """
    latest_day = max(day for day, _ in keyed)
    columns = tuple(c for c in COLUMNS["attendance"] if c != "left_at")
    rows = [{c: row[c] for c in columns} for day, row in keyed if day == latest_day]
    return _write_csv(folder / f"{_quarter_label(latest_day)}-broken-export.csv", columns, rows)


def _write_network(story: Story, landing_dir: Path, rng: random.Random,
                   end: date) -> tuple[dict, list[Path], list[Path]]:
    """Write one network's files; return its row counts, its files and the malformed ones."""
    base = landing_dir / story.network_id
    files, malformed = [], []
    attendance = _attendance(rng, story, end)
    forum = _forum(rng, story, end)
    files += _write_quarterly(base / "attendance", COLUMNS["attendance"], attendance,
                              story.started_on, end)
    if forum:
        files += _write_quarterly(base / "forum", COLUMNS["forum"], forum, story.started_on, end)
    survey_rows = 0
    for wave in story.survey_waves:
        rows = _survey_wave(rng, story, wave, end)
        path = base / "survey" / f"wave-{wave:%Y-%m}.csv"
        files.append(_write_csv(path, COLUMNS["survey"], rows))
        survey_rows += len(rows)
    roster = _roster(story, end)
    files.append(_write_csv(base / "roster" / "roster.csv", COLUMNS["roster"], roster))
    if story.network_id == "digital-inclusion":
        malformed.append(_write_broken_export(base / "attendance", attendance))
    counts = {"attendance_rows": len(attendance), "forum_rows": len(forum),
              "survey_rows": survey_rows, "roster_rows": len(roster)}
    return counts, files, malformed


def _write_config(stories: list[Story], config_path: Path) -> None:
    entries = [{
        "id": s.network_id, "name": s.name, "type": s.type, "programme": s.programme,
        "started_on": s.started_on, "timezone": TIMEZONE,
        "quarter_start_month": s.quarter_start_month,
        **({"priority_themes": list(s.priority_themes)} if s.priority_themes else {}),
    } for s in stories]
    header = ("# Networks of the netpulse demo, written by netpulse.demo.data.\n"
              "# quarter_start_month 4 = financial-year quarters (April); 1 = calendar quarters.\n")
    config_path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"networks": entries}, sort_keys=False, allow_unicode=True)
    config_path.write_text(header + text, encoding="utf-8")


def write_demo_landing(
    landing_dir: Path, config_path: Path, *, seed: int = 7, end: date = DEMO_END
) -> dict:
    """Write a synthetic landing zone and the networks YAML; return a summary dict.

    The summary is ``{network_id: {"attendance_rows": n, "forum_rows": n, "survey_rows": n,
    "roster_rows": n}, "files": [paths], "malformed_files": [paths]}``.  ``files`` lists
    every landing file written (the malformed ones included); row counts cover the
    well-formed files only.  Existing files of the same names are overwritten; other
    files in ``landing_dir`` are left alone, so use an empty directory for a clean demo.
    """
    if end < _EARLIEST_END:
        raise ValueError(f"end must be on or after {_EARLIEST_END}: the demo stories start in 2024")
    landing_dir, config_path = Path(landing_dir), Path(config_path)
    summary: dict = {}
    files: list[Path] = []
    malformed: list[Path] = []
    stories = []
    master = random.Random(seed)
    for build in STORIES:
        # One generator per network, seeded in turn from the master: changing how one
        # story draws its numbers does not reshuffle the others.
        rng = random.Random(master.getrandbits(64))
        story = build(rng, end)
        counts, written, broken = _write_network(story, landing_dir, rng, end)
        summary[story.network_id] = counts
        files += written + broken
        malformed += broken
        stories.append(story)
    _write_config(stories, config_path)
    summary["files"] = files
    summary["malformed_files"] = malformed
    return summary
