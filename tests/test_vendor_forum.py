"""Forum exports: Discourse topic JSON and Slack workspace export ZIPs, read into the generic format.

The fixtures under tests/fixtures/vendors/ reproduce the real layouts (a /t/{id}.json topic,
a /posts.json list, and a Slack export folder that the tests zip, as Slack does).
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpulse.config.sources import FORMATS
from netpulse.errors import DeliveryRejected
from netpulse.ingest.formats import read_delivery, type_delivery, vendor_frame
from netpulse.ingest.identity import MemberHasher
from netpulse.ingest.vendors import ParseOptions, discourse, slack

FIXTURES = Path(__file__).parent / "fixtures" / "vendors"
TOPIC_BYTES = (FIXTURES / "discourse" / "topic.json").read_bytes()
TOPIC = json.loads(TOPIC_BYTES)
SLACK_DIR = FIXTURES / "slack" / "export"
SLACK_FILES = {path.relative_to(SLACK_DIR).as_posix(): json.loads(path.read_bytes())
               for path in sorted(SLACK_DIR.rglob("*.json"))}
OPTIONS = ParseOptions()
FORUM = FORMATS["forum"]
HASHER = MemberHasher("test-key")
CONTRACT_TEXT = (*FORUM.required, "source_user_id", "display_name")


def slack_zip(files: dict[str, object], prefix: str = "") -> bytes:
    """A Slack export ZIP from {path: JSON value or bytes}, deflated as Slack's are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in files.items():
            data = value if isinstance(value, bytes) else json.dumps(value, indent=4).encode()
            archive.writestr(prefix + name, data)
    return buffer.getvalue()


def topic_bytes(topic: object) -> bytes:
    return json.dumps(topic).encode()


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame[list(columns)].itertuples(index=False)]


def rejection(parser, content: bytes) -> str:
    with pytest.raises(DeliveryRejected) as caught:
        parser.parse(content, OPTIONS)
    return str(caught.value)


def assert_contract(frame: pd.DataFrame, source_system: str) -> None:
    """The frame has the contract's columns and types, and the shared typing accepts it.

    ``email`` may be left out when the export has none; vendor_frame adds it as missing.
    """
    assert set(CONTRACT_TEXT) - {"email"} | {"line_number"} <= set(frame.columns)
    assert frame["line_number"].dtype == "int64"
    for column in set(CONTRACT_TEXT) & set(frame.columns):
        assert isinstance(frame[column].dtype, pd.StringDtype), column
    typed = type_delivery(vendor_frame(frame, FORUM), FORUM, "Europe/London", HASHER, source_system).frame
    assert typed["person"].notna().all()


# --- Discourse ---------------------------------------------------------------------------------------


def test_discourse_topic_parses_to_hand_computed_rows():
    frame = discourse.parse(TOPIC_BYTES, OPTIONS)
    assert rows(frame, "line_number", "post_id", "topic_id", "reply_to_post_id", "kind", "source_user_id",
                "display_name", "created_at") == [
        (1, "discourse:5101", "discourse:t/1042", None, "topic", "asha.patel", "Asha Patel",
         "2026-03-02T09:00:00.412Z"),
        # reply_to_post_number null: a reply to the topic, i.e. post 1
        (2, "discourse:5102", "discourse:t/1042", "discourse:5101", "reply", "tom_h", "Tom Hughes",
         "2026-03-02T09:20:07.031Z"),
        (3, "discourse:5103", "discourse:t/1042", "discourse:5102", "reply", "mbello", "Maya Bello",
         "2026-03-02T10:02:44.950Z"),
        # 4 small action, 5 discobot, 6 whisper: excluded
        (7, "discourse:5107", "discourse:t/1042", "discourse:5103", "reply", "asha.patel", "Asha Patel",
         "2026-03-03T08:15:31.500Z"),
        # answers the whisper: the excluded post is still named
        (8, "discourse:5108", "discourse:t/1042", "discourse:5106", "reply", "tom_h", "Tom Hughes",
         "2026-03-03T09:00:02.000Z"),
        # 9 deleted: excluded
    ]
    assert "email" not in frame.columns  # the JSON has none: members are matched by username
    assert_contract(frame, "discourse")


def test_discourse_likes_are_not_turned_into_rows():
    """actions_summary gives like counts, not likers; a reaction row needs its member."""
    assert TOPIC["post_stream"]["posts"][0]["actions_summary"] == [{"id": 2, "count": 3}]
    assert "reaction" not in set(discourse.parse(TOPIC_BYTES, OPTIONS)["kind"])


def test_discourse_list_of_topics_numbers_posts_across_the_file():
    second = copy.deepcopy(TOPIC)
    second["id"] = 2001
    posts = second["post_stream"]["posts"] = second["post_stream"]["posts"][:2]
    for number, post in enumerate(posts, 1):
        post.update(id=9000 + number, topic_id=2001)
    second["post_stream"]["stream"] = [9001, 9002]
    frame = discourse.parse(topic_bytes([TOPIC, second, TOPIC]), OPTIONS)  # the first topic again: kept once
    assert rows(frame.tail(2), "line_number", "post_id", "topic_id", "reply_to_post_id") == [
        (10, "discourse:9001", "discourse:t/2001", None),
        (11, "discourse:9002", "discourse:t/2001", "discourse:9001"),
    ]
    assert len(frame) == 7
    assert discourse.parse(b"[]", OPTIONS).empty


def test_discourse_latest_posts_list():
    frame = discourse.parse((FIXTURES / "discourse" / "latest_posts.json").read_bytes(), OPTIONS)
    assert rows(frame, "line_number", "post_id", "topic_id", "reply_to_post_id", "kind") == [
        (1, "discourse:6203", "discourse:t/1050", "discourse:6202", "reply"),
        # post 1 of topic 1050 is older than the list: named by Discourse's own /t/1050/1 address
        (2, "discourse:6202", "discourse:t/1050", "discourse:t/1050/1", "reply"),
        # answers the system's welcome post, which is itself excluded
        (3, "discourse:6188", "discourse:t/1049", "discourse:6187", "reply"),
    ]
    assert_contract(frame, "discourse")


def test_discourse_reply_to_a_post_missing_from_a_complete_topic_names_its_number():
    """A deleted post is not sent to non-staff accounts, but replies to it keep its number."""
    topic = copy.deepcopy(TOPIC)
    topic["post_stream"]["posts"] = [p for p in topic["post_stream"]["posts"] if p["post_number"] != 3]
    topic["post_stream"]["stream"].remove(5103)
    frame = discourse.parse(topic_bytes(topic), OPTIONS)
    assert frame.set_index("post_id").loc["discourse:5107", "reply_to_post_id"] == "discourse:t/1042/3"


def test_discourse_reply_to_a_post_number_that_cannot_exist_is_rejected_naming_the_post():
    topic = copy.deepcopy(TOPIC)
    topic["post_stream"]["posts"][6]["reply_to_post_number"] = 42
    message = rejection(discourse, topic_bytes(topic))
    assert message.startswith("post 7 (id 5107): replies to post number 42 of topic 1042")
    assert "export the topic again" in message


def test_discourse_first_page_of_a_long_topic_is_rejected_as_incomplete():
    topic = copy.deepcopy(TOPIC)
    topic["post_stream"]["stream"] += [5110, 5111]
    message = rejection(discourse, topic_bytes(topic))
    assert "topic 1042 is incomplete" in message and "/t/1042.json?print=true" in message


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is empty"),
    (b"<html><body>Not found</body></html>", "the file is not valid JSON (line 1, column 1"),
    (TOPIC_BYTES[: len(TOPIC_BYTES) // 2], "it may have been cut short"),
    (b'{"id": 1042, "title": "Sharing discharge checklists"}', "no post_stream.posts"),
    (b'[{"post_stream": {"posts": []}}, {"posts": []}]', "item 2 of the list is not a Discourse topic"),
    (b'{"latest_posts": {"id": 1}}', "latest_posts is not a list of posts"),
    (b'{"post_stream": {"posts": [{"post_number": 1}]}}', "post 1: no id"),
    (b'{"id": 7, "post_stream": {"posts": [{"id": 1, "post_number": "one", "username": "a", "created_at": null}]}}',
     'post 1 (id 1): post_number "one" is not a whole number'),
    (b'{"post_stream": {"posts": [{"id": 1, "post_number": 1, "username": "a"}]}}', "post 1 (id 1): no created_at"),
    (b'{"latest_posts": [{"id": 1, "post_number": 2, "username": "a", "created_at": null}]}',
     "post 1 (id 1): no topic_id"),
])
def test_discourse_malformed_files_are_rejected_with_a_reason(content, expected):
    assert expected in rejection(discourse, content)


def test_discourse_two_posts_with_one_number_are_rejected():
    topic = copy.deepcopy(TOPIC)
    topic["post_stream"]["posts"][2]["post_number"] = 2
    assert "topic 1042 has two posts numbered 2 (ids 5102 and 5103)" in rejection(discourse, topic_bytes(topic))


# --- Slack -------------------------------------------------------------------------------------------

PARENT = "slack:C01GEN:1772442300.000200"


def test_slack_export_parses_to_hand_computed_rows():
    frame = slack.parse(slack_zip(SLACK_FILES), OPTIONS)
    assert rows(frame, "line_number", "post_id", "topic_id", "reply_to_post_id", "kind", "source_user_id") == [
        # general/2026-03-02.json: 1 channel_join, 2 thread parent, 3 reply, 4 bot_message, 5 broadcast reply,
        # 6 standalone message with a file, 7 Slackbot, 8 channel_topic
        (2, PARENT, PARENT, None, "topic", "U01ASHA"),
        (2, PARENT + ":+1:U02TOM", PARENT, PARENT, "reaction", "U02TOM"),
        (2, PARENT + ":+1:U04RAJ", PARENT, PARENT, "reaction", "U04RAJ"),  # the bot's :eyes: is dropped
        (3, "slack:C01GEN:1772443200.000300", PARENT, PARENT, "reply", "U02TOM"),
        (5, "slack:C01GEN:1772445720.000500", PARENT, PARENT, "reply", "U03MAYA"),
        (6, "slack:C01GEN:1772449200.000600", "slack:C01GEN:1772449200.000600", None, "topic", "U02TOM"),
        (6, "slack:C01GEN:1772449200.000600:white_check_mark:U01ASHA", "slack:C01GEN:1772449200.000600",
         "slack:C01GEN:1772449200.000600", "reaction", "U01ASHA"),
        # general/2026-03-03.json: 9 reply to the thread of the day before, 10 bot user, 11 standalone
        (9, "slack:C01GEN:1772525700.001500", PARENT, PARENT, "reply", "U01ASHA"),
        (11, "slack:C01GEN:1772545500.001700", "slack:C01GEN:1772545500.001700", None, "topic", "U03MAYA"),
        # improvement-ideas/2026-03-02.json: 12 channel_join, 13 thread parent, 14 reply
        (13, "slack:C02IDEAS:1772460000.000900", "slack:C02IDEAS:1772460000.000900", None, "topic", "U03MAYA"),
        (14, "slack:C02IDEAS:1772460060.001000", "slack:C02IDEAS:1772460000.000900",
         "slack:C02IDEAS:1772460000.000900", "reply", "U02TOM"),
    ]
    assert_contract(frame, "slack")


def test_slack_identity_comes_from_users_json_and_times_are_utc():
    frame = slack.parse(slack_zip(SLACK_FILES), OPTIONS).drop_duplicates("source_user_id").set_index("source_user_id")
    assert rows(frame.reset_index(), "source_user_id", "email", "display_name", "is_guest") == [
        ("U01ASHA", "asha.patel@nhs.example", "Asha Patel", "false"),
        ("U02TOM", "Tom.Hughes@nhs.example", "Tom Hughes", "false"),
        ("U04RAJ", None, "Raj Kumar", "false"),          # deleted account, no e-mail: still a person by id
        ("U03MAYA", "maya.bello@carers.example", "maya.bello", "true"),  # no real name; a guest
    ]
    times = slack.parse(slack_zip(SLACK_FILES), OPTIONS).set_index("post_id")["created_at"]
    assert times[PARENT] == "2026-03-02T09:05:00.000200Z"
    assert times[PARENT + ":+1:U02TOM"] == times[PARENT]  # no reaction time in exports: the message's
    assert times["slack:C01GEN:1772525700.001500"] == "2026-03-03T08:15:00.001500Z"


def test_slack_excludes_system_messages_bots_and_slackbot():
    frame = slack.parse(slack_zip(SLACK_FILES), OPTIONS)
    assert not frame["source_user_id"].isin(["U05BOT", "USLACKBOT"]).any()
    excluded_ts = ["1772442000.000100", "1772443500.000400", "1772450000.000700", "1772451000.000800",
                   "1772526000.001600", "1772000200.000050"]
    assert not frame["post_id"].str.contains("|".join(excluded_ts)).any()


def test_slack_export_under_a_top_folder_with_org_users_private_channels_and_dms():
    files = {("org_users.json" if name == "users.json" else name): value for name, value in SLACK_FILES.items()}
    files["groups.json"] = [{"id": "G09PRIV", "name": "steering-group", "created": 1772000000, "members": ["U01ASHA"]}]
    files["dms.json"] = [{"id": "D07ASHATOM", "created": 1772000000, "members": ["U01ASHA", "U02TOM"]}]
    files["steering-group/2026-03-04.json"] = [{"type": "message", "user": "U01ASHA", "text": "Agenda?",
                                                "ts": "1772611200.000100"}]
    files["D07ASHATOM/2026-03-04.json"] = [{"type": "message", "user": "U02TOM", "text": "Thanks!",
                                            "ts": "1772611300.000200"}]
    frame = slack.parse(slack_zip(files, prefix="Resp Network Slack export Mar 1 2026 - Mar 4 2026/"), OPTIONS)
    assert rows(frame.tail(2), "line_number", "post_id", "kind") == [
        (15, "slack:G09PRIV:1772611200.000100", "topic"),
        (16, "slack:D07ASHATOM:1772611300.000200", "topic"),
    ]


class _UnflaggedUtf8Name(zipfile.ZipInfo):
    """A ZIP entry named in UTF-8 without the UTF-8 flag, as Slack writes them."""

    __slots__ = ()

    def _encodeFilenameFlags(self):  # zipfile's name
        return self.filename.encode("utf-8"), self.flag_bits


def test_slack_utf8_folder_names_without_the_zip_flag_are_read():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.json", json.dumps(SLACK_FILES["users.json"]))
        archive.writestr("channels.json", json.dumps([{"id": "C03AMEL", "name": "améliorations"}]))
        message = {"type": "message", "user": "U02TOM", "text": "Bonjour", "ts": "1772442300.000200"}
        archive.writestr(_UnflaggedUtf8Name("améliorations/2026-03-02.json"), json.dumps([message]))
    assert list(slack.parse(buffer.getvalue(), OPTIONS)["post_id"]) == ["slack:C03AMEL:1772442300.000200"]


def _general_with(message: dict) -> dict:
    files = copy.deepcopy(SLACK_FILES)
    files["general/2026-03-03.json"].append(message)
    return files


def _corrupt_member(content: bytes) -> bytes:
    """The ZIP with bytes in the middle of its largest member's compressed data changed."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = max(archive.infolist(), key=lambda i: i.compress_size)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    return content[:start] + bytes(b ^ 0xFF for b in content[start:start + 16]) + content[start + 16:]


@pytest.mark.parametrize(("make", "expected"), [
    (lambda: b"post_id,topic_id\n1,1\n", "the file is not a Slack export ZIP: it is not a readable ZIP archive"),
    (lambda: slack_zip(SLACK_FILES)[:-200], "the file is not a Slack export ZIP"),
    (lambda: slack_zip({k: v for k, v in SLACK_FILES.items() if k != "users.json"}),
     "the file is not a Slack export ZIP: users.json is missing"),
    (lambda: slack_zip({k: v for k, v in SLACK_FILES.items() if k != "channels.json"}),
     "the Slack export has no channels.json"),
    (lambda: _corrupt_member(slack_zip(SLACK_FILES)), "the ZIP is damaged"),
    (lambda: slack_zip({**SLACK_FILES, "general/2026-03-03.json": json.dumps(SLACK_FILES["general/2026-03-03.json"])
                        .encode()[:300]}), "general/2026-03-03.json is not valid JSON"),
    (lambda: slack_zip(_general_with({"type": "message", "user": "U02TOM", "text": "no ts"})),
     "general/2026-03-03.json, message 4: no ts"),
    (lambda: slack_zip(_general_with({"type": "message", "text": "who?", "ts": "1772600000.000100"})),
     "general/2026-03-03.json, message 4 (ts 1772600000.000100): no user"),
    (lambda: slack_zip(_general_with({"type": "message", "user": "U02TOM", "ts": "yesterday"})),
     'general/2026-03-03.json, message 4: ts "yesterday" is not a Slack timestamp'),
    (lambda: slack_zip({**SLACK_FILES, "random/2026-03-02.json": []}),
     "folder 'random' holds daily message files but is not listed in channels.json"),
    (lambda: slack_zip({**SLACK_FILES, "users.json": {"members": []}}), "users.json is not a list of objects"),
])
def test_slack_malformed_exports_are_rejected_with_a_reason(make, expected):
    assert expected in rejection(slack, make())


# --- Both against the generic format -----------------------------------------------------------------

GENERIC_CONVERSATION = b"""post_id,topic_id,reply_to_post_id,email,name,created_at,kind
p1,,,asha.patel@nhs.example,Asha Patel,2026-03-02T09:00:00Z,topic
p2,p1,p1,tom.hughes@nhs.example,Tom Hughes,2026-03-02T09:20:00Z,reply
p3,p1,p2,maya.bello@carers.example,Maya Bello,2026-03-02T10:02:00Z,reply
p4,p1,p3,asha.patel@nhs.example,Asha Patel,2026-03-03T08:15:00Z,reply
"""


def _discourse_conversation() -> bytes:
    def post(pid, number, username, name, reply_to=None, post_type=1):
        return {"id": pid, "name": name, "username": username, "created_at": "2026-03-02T09:00:00.000Z",
                "post_number": number, "post_type": post_type, "reply_to_post_number": reply_to, "topic_id": 77,
                "actions_summary": [], "user_id": pid, "deleted_at": None}
    posts = [post(1, 1, "asha.patel", "Asha Patel"), post(2, 2, "tom_h", "Tom Hughes"),
             post(3, 3, "mbello", "Maya Bello", reply_to=2), post(4, 4, "tom_h", "Tom Hughes", post_type=3),
             post(5, 5, "asha.patel", "Asha Patel", reply_to=3)]
    return topic_bytes({"id": 77, "post_stream": {"posts": posts, "stream": [p["id"] for p in posts]}})


def _slack_conversation() -> bytes:
    def message(user, ts, **extra):
        return {"type": "message", "user": user, "text": "…", "ts": ts, **extra}
    parent = "1772442000.000100"
    users = [{"id": "U1", "name": "asha", "real_name": "Asha Patel"},
             {"id": "U2", "name": "tom", "real_name": "Tom Hughes"},
             {"id": "U3", "name": "maya", "real_name": "Maya Bello"}]
    day = [message("U1", parent, thread_ts=parent, reply_count=3),
           message("U2", "1772443200.000200", thread_ts=parent),
           {"type": "message", "subtype": "channel_join", "user": "U3", "ts": "1772443300.000300", "text": "joined"},
           message("U3", "1772445720.000400", thread_ts=parent,
                   reactions=[{"name": "+1", "users": ["U1"], "count": 1}]),
           message("U1", "1772525700.000500", thread_ts=parent)]
    return slack_zip({"users.json": users, "channels.json": [{"id": "C1", "name": "general"}],
                      "general/2026-03-02.json": day})


def test_the_same_conversation_counts_the_same_topics_and_replies_from_every_source():
    """Slack threads are flat, so who answered whom differs; who posted what kind of post does not."""
    def counts(frame: pd.DataFrame) -> Counter:
        posts = frame[frame["kind"].isin(["topic", "reply"])]
        return Counter(zip(posts["name"], posts["kind"], strict=True))

    generic = counts(read_delivery(GENERIC_CONVERSATION, FORUM))
    assert generic == Counter({("Asha Patel", "topic"): 1, ("Asha Patel", "reply"): 1,
                               ("Tom Hughes", "reply"): 1, ("Maya Bello", "reply"): 1})
    assert counts(discourse.parse(_discourse_conversation(), OPTIONS)) == generic
    assert counts(slack.parse(_slack_conversation(), OPTIONS)) == generic


# --- Properties: whatever arrives, rows or a reason ----------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**20) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(document) -> list[tuple]:
    """Every value's path in a JSON document (keys and list indexes), the root excluded."""
    found, pending = [], [((), document)]
    while pending:
        path, value = pending.pop()
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            found.append((*path, key))
            pending.append(((*path, key), child))
    return found


def _mutate(document, path: tuple, value=None, *, delete: bool = False):
    document = copy.deepcopy(document)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


def _json_mutations(document, key_paths: list[tuple]):
    """Replaced values and deleted entries, at any path or at the keys the parser reads."""
    paths = _paths(document)
    targeted = st.sampled_from(key_paths) if key_paths else st.nothing()
    return st.one_of(
        st.tuples(st.sampled_from(paths) | targeted, json_values).map(lambda t: _mutate(document, t[0], t[1])),
        (st.sampled_from(paths) | targeted).map(lambda p: _mutate(document, p, delete=True)),
    )


def _parses_or_rejects(parser, content: bytes, source_system: str) -> None:
    try:
        frame = parser.parse(content, OPTIONS)
    except DeliveryRejected as exc:
        assert str(exc), "a rejection must say why"  # noqa: PT017 - a property: it may or may not raise
        return
    assert_contract(frame, source_system)


POST_KEYS = ("id", "post_number", "reply_to_post_number", "username", "name", "created_at", "post_type",
             "topic_id", "user_id", "deleted_at")
TOPIC_KEY_PATHS = [("post_stream", "posts", i, key) for i in range(len(TOPIC["post_stream"]["posts"]))
                   for key in POST_KEYS] + [("post_stream", "stream"), ("post_stream", "posts"), ("id",)]


def _discourse_inputs():
    return st.one_of(
        st.integers(0, len(TOPIC_BYTES)).map(lambda cut: TOPIC_BYTES[:cut]),
        _json_mutations(TOPIC, TOPIC_KEY_PATHS).map(topic_bytes),
        _json_mutations(TOPIC, TOPIC_KEY_PATHS).map(lambda topic: topic_bytes([topic])),
        st.binary(max_size=300),
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_discourse_inputs())
def test_mutated_discourse_files_parse_or_are_rejected_with_a_reason(content):
    _parses_or_rejects(discourse, content, "discourse")


MESSAGE_KEYS = ("type", "subtype", "user", "ts", "thread_ts", "reactions", "user_profile")
SLACK_KEY_PATHS = {
    name: ([(i, key) for i in range(len(value)) for key in MESSAGE_KEYS] if "/" in name else
           [(i, key) for i in range(len(value)) for key in ("id", "name", "is_bot", "profile", "real_name")]
           if isinstance(value, list) else [])
    for name, value in SLACK_FILES.items()
}
SLACK_BYTES = slack_zip(SLACK_FILES)


@st.composite
def _slack_inputs(draw):
    how = draw(st.sampled_from(["value", "member cut", "member dropped", "zip cut", "zip garbled", "bytes"]))
    if how == "zip cut":
        return SLACK_BYTES[:draw(st.integers(0, len(SLACK_BYTES)))]
    if how == "zip garbled":
        at = draw(st.integers(0, len(SLACK_BYTES) - 1))
        return SLACK_BYTES[:at] + draw(st.binary(min_size=1, max_size=8)) + SLACK_BYTES[at + 1:]
    if how == "bytes":
        return draw(st.binary(max_size=300))
    name = draw(st.sampled_from(sorted(SLACK_FILES)))
    files = dict(SLACK_FILES)
    if how == "member dropped":
        del files[name]
    elif how == "member cut":
        text = json.dumps(files[name]).encode()
        files[name] = text[:draw(st.integers(0, len(text)))]
    else:
        files[name] = draw(_json_mutations(files[name], SLACK_KEY_PATHS[name]))
    return slack_zip(files)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_slack_inputs())
def test_mutated_slack_exports_parse_or_are_rejected_with_a_reason(content):
    _parses_or_rejects(slack, content, "slack")
