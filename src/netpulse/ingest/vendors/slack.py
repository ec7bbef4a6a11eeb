"""Slack workspace export ZIPs as rows of the generic forum format.

Supported layout (the ZIP Slack's "Import/Export Data" page produces, JSON format):

- ``users.json`` (``org_users.json`` in Enterprise Grid exports): ``id``, ``name``,
  ``real_name``, ``profile.email``, ``profile.real_name``, ``deleted``, ``is_bot``,
  ``is_restricted`` / ``is_ultra_restricted`` (guests).
- ``channels.json`` (public channels), and when exported ``groups.json`` (private channels),
  ``mpims.json`` (group DMs) and ``dms.json`` (DMs): ``id`` and ``name``. Each conversation has
  a folder -- named after the channel, or after the id for a DM -- holding one
  ``YYYY-MM-DD.json`` per day with messages: an array of ``{"type": "message", "subtype"?,
  "user", "text", "ts", "thread_ts"?, "reply_count"?, "reactions"?: [{"name", "users",
  "count"}], "files"?, "user_profile"?}``.
- The files may sit under one top-level folder (an export unzipped and zipped again).
  Slack writes UTF-8 file names without flagging them as such; they are read as UTF-8.
  Other files (``integration_logs.json``, canvases, ``canvas_in_the_conversation.json``)
  are ignored.

Mapping:

- ``post_id`` = ``slack:<channel id>:<ts>`` (the channel id, not its name, which can change).
- A message that starts a thread (``thread_ts`` == ``ts``) or stands alone (no ``thread_ts``)
  is a ``topic``, its own ``topic_id``. Slack has no reply link outside threads, so a
  standalone message is a conversation opener that nobody answered in a thread -- treating
  it as a reply to the message before it would invent a link Slack does not record.
- A thread reply (``thread_ts`` != ``ts``; ``thread_broadcast`` replies too) is a ``reply``
  to the thread's parent, ``slack:<channel>:<thread_ts>``, which is also its ``topic_id``.
  Slack threads are flat, so every reply answers the parent. The parent may lie outside the
  export's date range; the reply still names it.
- Each user listed in a message's ``reactions`` gives one ``reaction`` row:
  ``post_id`` = ``slack:<channel>:<ts>:<reaction name>:<user>``, ``reply_to_post_id`` = the
  message. Exports carry no reaction time, so ``created_at`` is the message's time.
- Kept: messages by people -- no subtype, or ``thread_broadcast``, ``file_share``,
  ``me_message``. Every other subtype is a system or app event (``channel_join``,
  ``channel_leave``, ``channel_topic``, ``channel_purpose``, ``channel_name``,
  ``bot_message``, ``pinned_item``, ``tombstone``, ...) and is excluded, as are messages and
  reactions of bot users (``is_bot``, and Slackbot, ``USLACKBOT``, which Slack lists with
  ``is_bot`` false). Reactions are only read on kept messages.
- ``created_at`` = ``ts`` (epoch seconds) as ISO 8601 UTC with ``Z`` and microseconds;
  ``options`` (time zone, date order) therefore do not apply.
- Identity: ``source_user_id`` = the Slack user id, ``email`` = ``profile.email`` from
  users.json when present, ``display_name`` (and the generic ``name``) = ``real_name``, else
  ``profile.real_name``, else ``name`` (else the message's own ``user_profile`` for people
  missing from users.json, e.g. Slack Connect members); ``is_guest`` from
  ``is_restricted`` / ``is_ultra_restricted``.
- ``line_number`` is the 1-based position of the message in the export, counting every
  message (excluded ones too) in this order: conversations as listed in channels.json,
  groups.json, mpims.json, dms.json; days in date order; messages in file order. Reaction
  rows carry their message's number. Rejections name the file and message instead.

Known limits: reaction times are unknown (see above); Slack may list only some of the
users behind a reaction's ``count``, and only listed users give rows; replies whose parent
was deleted (a ``tombstone``) or was a bot message name a parent that is not loaded; one
workspace per network is assumed (channel ids are unique within a workspace).
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from netpulse.config.settings import InputLimits
from netpulse.errors import DeliveryRejected
from netpulse.ingest.archives import ZIP_ERRORS, BoundedZip
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.common import decode_text

MEMBER_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
SLACKBOT = "USLACKBOT"
USER_LISTS = ("users.json", "org_users.json")
CONVERSATION_LISTS = ("channels.json", "groups.json", "mpims.json", "dms.json")  # dms are named by id
DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
TS = re.compile(r"^\d{1,11}(?:\.\d{1,9})?$")
TEXT_COLUMNS = ("post_id", "topic_id", "reply_to_post_id", "email", "name", "created_at", "kind",
                "source_user_id", "display_name", "is_guest")
EXPORT_AGAIN = "export the workspace again from Slack's Import/Export Data page"


@dataclass(frozen=True)
class User:
    """What users.json says of a person that the rows need: who they are, and who to leave out."""

    display_name: str | None
    email: str | None
    is_bot: bool
    is_guest: bool


def parse(content: bytes, options: ParseOptions) -> pd.DataFrame:
    """Rows of the generic forum format from a Slack export ZIP (see the module docstring)."""
    export = Export(content, options.limits)
    users = read_users(export)
    rows: list[dict] = []
    line = 0
    for channel_id, day_file in day_files(export):
        messages = export.read_json(day_file)
        if not isinstance(messages, list):
            raise DeliveryRejected(f"{day_file} is not a list of messages; {EXPORT_AGAIN}")
        for position, message in enumerate(messages, 1):
            line += 1
            rows += message_rows(message, channel_id, users, line, f"{day_file}, message {position}")
    return to_frame(rows)


class Export:
    """The export's files by name (relative to its top folder), read as JSON on demand."""

    def __init__(self, content: bytes, limits: InputLimits):
        self.archive = BoundedZip(content, limits, "Slack export", (
            f"the file is not a Slack export ZIP: it is not a readable ZIP archive (or it was cut short); "
            f"{EXPORT_AGAIN}"))
        self.members = {utf8_name(info): info for info in self.archive.infos if not info.is_dir()}
        self.root = self.find_root()

    def find_root(self) -> str:
        """The folder holding users.json: the ZIP's top level, or its one top folder."""
        for name in USER_LISTS:
            if name in self.members:
                return ""
        roots = {member[: -len(name)] for member in self.members for name in USER_LISTS
                 if member.endswith("/" + name) and member.count("/") == 1}
        if len(roots) != 1:
            raise DeliveryRejected(f"the file is not a Slack export ZIP: users.json is missing; {EXPORT_AGAIN}")
        return roots.pop()

    def names(self) -> list[str]:
        """Member names relative to the export's top folder."""
        return [name[len(self.root):] for name in self.members if name.startswith(self.root)]

    def has(self, name: str) -> bool:
        return self.root + name in self.members

    def read_json(self, name: str) -> Any:
        info = self.members[self.root + name]
        try:
            content = self.archive.read(info)
        except ZIP_ERRORS as exc:
            raise DeliveryRejected(f"the ZIP is damaged: {name} cannot be read ({exc}); {EXPORT_AGAIN}") from None
        try:
            return json.loads(decode_text(content))
        except DeliveryRejected as exc:
            raise DeliveryRejected(f"{name}: {exc}") from None
        except RecursionError:
            raise DeliveryRejected(f"{name} is not Slack export JSON: it is nested too deeply") from None
        except ValueError as exc:  # JSONDecodeError, and integers too long to read
            where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" \
                if isinstance(exc, json.JSONDecodeError) else ""
            raise DeliveryRejected(
                f"{name} is not valid JSON{where}; it may have been cut short: {EXPORT_AGAIN}"
            ) from None


def utf8_name(info: zipfile.ZipInfo) -> str:
    """The member's name: Slack writes UTF-8 names without the flag that says so."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


def read_users(export: Export) -> dict[str, User]:
    """users.json by user id: who is a bot or a guest, their e-mail and name."""
    name = next(name for name in USER_LISTS if export.has(name))
    entries = json_list(export, name)
    users = {}
    for position, entry in enumerate(entries, 1):
        where = f"{name}, user {position}"
        user_id = text(entry, "id", where, required=True)
        profile = entry.get("profile") or {}
        if not isinstance(profile, dict):
            raise DeliveryRejected(f"{where} ({user_id}): profile is not an object; {EXPORT_AGAIN}")
        display = (text(entry, "real_name", where) or text(profile, "real_name", where) or text(entry, "name", where))
        users[user_id] = User(
            display_name=display, email=text(profile, "email", where),
            is_bot=entry.get("is_bot") is True or user_id == SLACKBOT,
            is_guest=entry.get("is_restricted") is True or entry.get("is_ultra_restricted") is True,
        )
    return users


def day_files(export: Export) -> list[tuple[str, str]]:
    """(channel id, day file) for every day of every conversation, in export order.

    A folder of day files that no conversation list names would be silently lost, so it
    rejects the export instead.
    """
    folders = conversation_folders(export)
    days: dict[str, list[str]] = {folder: [] for folder in folders}
    for name in export.names():
        folder, _, file_name = name.rpartition("/")
        if not folder or not DAY_FILE.match(file_name):
            continue
        if "/" in folder:
            # Loading the rest would count this conversation as silent: refuse the layout instead.
            raise DeliveryRejected(
                f"daily message files sit in {folder!r}, a folder below a conversation's folder: this is "
                f"not the layout of a Slack export (one folder per conversation beside channels.json); "
                f"{EXPORT_AGAIN}, and deliver its ZIP as Slack wrote it"
            )
        if folder not in days:
            raise DeliveryRejected(
                f"folder {folder!r} holds daily message files but is not listed in "
                f"{', '.join(CONVERSATION_LISTS)}; {EXPORT_AGAIN}"
            )
        days[folder].append(name)
    return [(folders[folder], name) for folder in folders for name in sorted(days[folder])]


def conversation_folders(export: Export) -> dict[str, str]:
    """Folder name -> conversation id, for every conversation list the export holds."""
    present = [name for name in CONVERSATION_LISTS if export.has(name)]
    if not present:
        raise DeliveryRejected(f"the Slack export has no channels.json (nor groups, mpims or dms); {EXPORT_AGAIN}")
    folders: dict[str, str] = {}
    for list_name in present:
        for position, entry in enumerate(json_list(export, list_name), 1):
            where = f"{list_name}, conversation {position}"
            channel_id = text(entry, "id", where, required=True)
            folder = channel_id if list_name == "dms.json" else text(entry, "name", where, required=True)
            folders.setdefault(folder, channel_id)
    return folders


def json_list(export: Export, name: str) -> list[dict]:
    entries = export.read_json(name)
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise DeliveryRejected(f"{name} is not a list of objects; {EXPORT_AGAIN}")
    return entries


def message_rows(message: Any, channel_id: str, users: dict[str, User], line: int, where: str) -> list[dict]:
    """The rows of one message: none for system and bot messages, else the post and its reactions."""
    if not isinstance(message, dict):
        raise DeliveryRejected(f"{where} is not a JSON object; {EXPORT_AGAIN}")
    subtype = text(message, "subtype", where)
    if message.get("type", "message") != "message" or subtype not in MEMBER_SUBTYPES:
        return []
    ts = timestamp(message, "ts", where, required=True)
    user_id = text(message, "user", where)
    if user_id is None:
        raise DeliveryRejected(f"{where} (ts {ts}): no user, so its author is unknown; {EXPORT_AGAIN}")
    if is_bot(user_id, users):
        return []
    thread_ts = timestamp(message, "thread_ts", where)
    post_id = f"slack:{channel_id}:{ts}"
    parent = f"slack:{channel_id}:{thread_ts}" if thread_ts not in (None, ts) else None
    created_at = iso_utc(ts, where)
    post = {
        "line_number": line, "post_id": post_id, "topic_id": parent or post_id, "reply_to_post_id": parent,
        "created_at": created_at, "kind": "reply" if parent else "topic",
        **identity(user_id, users, message.get("user_profile")),
    }
    return [post, *reaction_rows(message, post, users, where)]


def reaction_rows(message: dict, post: dict, users: dict[str, User], where: str) -> list[dict]:
    """One row per person per reaction; the export has no reaction time, so the message's is used."""
    reactions = message.get("reactions") or []
    if not isinstance(reactions, list):
        raise DeliveryRejected(f"{where}: reactions is not a list; {EXPORT_AGAIN}")
    rows, seen = [], set()
    for reaction in reactions:
        if not isinstance(reaction, dict):
            raise DeliveryRejected(f"{where}: a reaction is not an object; {EXPORT_AGAIN}")
        name = text(reaction, "name", where, required=True)
        reactors = reaction.get("users")
        if not isinstance(reactors, list) or not all(isinstance(user, str) for user in reactors):
            raise DeliveryRejected(f"{where}: reaction {name!r} has no list of users; {EXPORT_AGAIN}")
        for user_id in reactors:
            reaction_id = f"{post['post_id']}:{name}:{user_id}"
            if is_bot(user_id, users) or reaction_id in seen:
                continue
            seen.add(reaction_id)
            rows.append({
                "line_number": post["line_number"], "post_id": reaction_id, "topic_id": post["topic_id"],
                "reply_to_post_id": post["post_id"], "created_at": post["created_at"], "kind": "reaction",
                **identity(user_id, users),
            })
    return rows


def is_bot(user_id: str, users: dict[str, User]) -> bool:
    user = users.get(user_id)
    return user_id == SLACKBOT or (user is not None and user.is_bot)


def identity(user_id: str, users: dict[str, User], profile: Any = None) -> dict:
    """Who a row is about; people missing from users.json keep the message's own profile name."""
    user = users.get(user_id)
    display = user.display_name if user else None
    if display is None and isinstance(profile, dict):
        display = next((value.strip() for value in (profile.get("real_name"), profile.get("name"))
                        if isinstance(value, str) and value.strip()), None)
    return {
        "email": user.email if user else None, "name": display, "source_user_id": user_id,
        "display_name": display, "is_guest": None if user is None else str(user.is_guest).lower(),
    }


def timestamp(message: dict, key: str, where: str, *, required: bool = False) -> str | None:
    """A Slack ts ("1614612345.000200", epoch seconds as text), checked; it is part of post ids."""
    value = message.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not TS.match(value):
        shown = "no ts" if value is None else f"{key} {json.dumps(value)[:40]} is not a Slack timestamp"
        raise DeliveryRejected(f"{where}: {shown}; {EXPORT_AGAIN}")
    return value


def iso_utc(ts: str, where: str) -> str:
    """ISO 8601 UTC with Z, to the microsecond, computed from the text so no float rounding creeps in."""
    seconds, _, fraction = ts.partition(".")
    try:
        moment = datetime.fromtimestamp(int(seconds), tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise DeliveryRejected(f"{where}: ts {ts} is not a time Slack could have written") from None
    microseconds = int((fraction + "000000")[:6])
    return moment.replace(microsecond=microseconds).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def text(mapping: dict, key: str, where: str, *, required: bool = False) -> str | None:
    """A text field; blank or null gives None (or a rejection when required)."""
    value = mapping.get(key)
    if value is not None and not isinstance(value, str):
        raise DeliveryRejected(f"{where}: {key} {json.dumps(value)[:40]} is not text; {EXPORT_AGAIN}")
    value = value.strip() if value else None
    if required and not value:
        raise DeliveryRejected(f"{where}: no {key}; {EXPORT_AGAIN}")
    return value or None


def to_frame(rows: list[dict]) -> pd.DataFrame:
    """The contract's frame: text columns with pd.NA for missing, and an int line_number."""
    frame = pd.DataFrame(rows, columns=["line_number", *TEXT_COLUMNS])
    frame["line_number"] = frame["line_number"].astype("int64")
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype("string")
    if frame["email"].isna().all():
        # An export without e-mails (or without rows) leaves the column out, as the contract
        # allows: an all-missing "string" column makes the shared typing's e-mail hash a float
        # column that cannot be filled with identity hashes. vendor_frame adds it back, missing.
        frame = frame.drop(columns="email")
    return frame
