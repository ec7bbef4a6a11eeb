"""Member identity: normalised e-mails and the keyed hash stored in their place.

Raw e-mails stay in the raw schema only; everything downstream sees the HMAC-SHA256 of the
normalised address, so identifiers cannot be reversed or recomputed without the key.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from netpulse.errors import ConfigError

# Stored in the warehouse so a run with a different key is refused instead of silently
# splitting every member into a new identity.
_KEY_CHECK_MESSAGE = b"netpulse key fingerprint"


def normalise_email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    return value or None


def normalise_emails(emails: pd.Series) -> pd.Series:
    """normalise_email over a column, vectorised: text, blank as missing."""
    normalised = emails.astype("string").str.strip().str.lower()
    return normalised.where(normalised.ne(""), pd.NA)


def key_fingerprint(key: str) -> str:
    return hmac.new(key.encode(), _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()[:16]


class MemberHasher:
    """Keyed hash of normalised e-mails, computed once per distinct address."""

    def __init__(self, key: str):
        self._key = key.encode()

    def hash_one(self, email: str | None) -> str | None:
        email = normalise_email(email)
        if email is None:
            return None
        return hmac.new(self._key, email.encode(), hashlib.sha256).hexdigest()

    def opaque_id(self, kind: str, text: str) -> str:
        """A keyed id for an identifier made from free text (a meeting's title, a file's name).

        Such ids can name a person ("1:1 Jane Doe", jane-doe.csv); the keyed hash keeps them
        distinct and stable across deliveries without carrying the words into any table.
        """
        digest = hmac.new(self._key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()
        return f"{kind[0]}_{digest[:20]}"

    def opaque_series(self, kind: str, values: pd.Series) -> pd.Series:
        """opaque_id over a column, once per distinct value; missing stays missing."""
        text = values.astype("string")
        lookup = {value: self.opaque_id(kind, value) for value in text.dropna().unique()}
        return text.map(lookup, na_action="ignore").astype("string")

    def hash_series(self, emails: pd.Series, *, normalised: bool = False) -> pd.Series:
        """Keyed hashes of a column of addresses (``normalised`` when already normalise_emails'd)."""
        # Exports repeat the same few thousand addresses across millions of rows:
        # hashing distinct values keeps this linear in members, not rows.
        normalised = emails if normalised else normalise_emails(emails)
        distinct = normalised.dropna().unique()
        lookup = {email: self.hash_one(email) for email in distinct}
        # Always text, even when every address is missing (a Discourse export has none).
        return normalised.map(lookup, na_action="ignore").astype("string")


def check_hash_key(con, key: str) -> None:
    """Refuse a key other than the one this warehouse's member keys were made with."""
    fingerprint = key_fingerprint(key)
    row = con.execute("select value from meta.settings where name = 'hash_key_fingerprint'").fetchone()
    if row is None:
        con.execute("insert into meta.settings values ('hash_key_fingerprint', ?)", [fingerprint])
    elif row[0] != fingerprint:
        raise ConfigError(
            "NETPULSE_HASH_KEY is not the key this warehouse was built with; loading with it "
            "would split every member into a new identity. Use the original key."
        )


def key_meeting_ids(con, hasher: MemberHasher) -> None:
    """Once per warehouse: replace meeting ids loaded before they were keyed (netpulse < 15) by keyed ids.

    Deliveries loaded since are keyed as they are typed; the build's definitions fingerprint
    changed with this, so every network is rebuilt from the keyed rows.
    """
    if con.execute("select 1 from meta.settings where name = 'meeting_ids'").fetchone():
        return
    con.execute("begin")
    ids = [row[0] for row in con.execute(
        "select distinct meeting_id from raw.attendance where meeting_id is not null").fetchall()]
    if ids:
        keys = pd.DataFrame({"old": ids, "new": [hasher.opaque_id("meeting", i) for i in ids]})
        con.register("netpulse_meeting_keys", keys)
        con.execute("update raw.attendance set meeting_id = k.new from netpulse_meeting_keys k "
                    "where raw.attendance.meeting_id = k.old")
        con.unregister("netpulse_meeting_keys")
    con.execute("insert into meta.settings values ('meeting_ids', 'keyed')")
    con.execute("commit")
