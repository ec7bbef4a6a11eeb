"""Vendor export parsers: each turns one real export into rows of the generic format.

Contract (every parser follows it, so loading, validation and the warehouse are shared):

    netpulse.ingest.vendors.<format>.parse(content: bytes, options: ParseOptions) -> pandas.DataFrame

- The frame has the generic format's columns for its source (see netpulse.ingest.formats.FORMATS),
  as text (`str`, missing values as `pd.NA`), plus any of the identity columns below.
  Survey parsers add one column per question item, named by the item id.
- Timestamps are ISO 8601 text: without an offset when the export gives local time (the
  network's time zone then applies), with `Z` or an offset when the export gives one.
  Vendor date text is converted using `options.date_order`; the order is never guessed.
- `line_number` (int): where the row came from in the export (file line, sheet row, or
  message index), so every error can point at it.
- Identity columns (all optional): `source_user_id` (the vendor's id for the person: Zoom
  name, Teams participant id/e-mail, Slack user id, Discourse username), `display_name`,
  `is_guest` ("true"/"false"). `email` may be missing when `source_user_id` is present.
- `frame.attrs["source_columns"]` (optional): the export's own header, as written, so a
  vendor changing its columns is reported by name (schema drift).
- A file that cannot be understood raises `DeliveryRejected` with a reason a coordinator can
  act on, naming the row: "row 14: Leave Time before Join Time".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netpulse.config.settings import InputLimits

IDENTITY_COLUMNS = ("source_user_id", "display_name", "is_guest")
DATE_ORDERS = ("ymd", "dmy", "mdy")


@dataclass(frozen=True)
class ParseOptions:
    timezone: str = "Europe/London"  # local time zone of times without an offset
    date_order: str = "dmy"          # how the export writes dates: dmy, mdy or ymd (declared, not guessed)
    file_name: str = ""              # the delivery's file name, for exports that carry no meeting id
    limits: InputLimits = field(default_factory=InputLimits)  # archive limits (netpulse.ingest.archives)
