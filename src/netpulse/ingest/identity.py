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
