"""What the parsers of pulled files share (``zoom_api``, ``teams_api``): the envelope every file
netpulse's pull lands carries, checked, and the checks of the API's times and pages."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from netpulse.errors import DeliveryRejected
from netpulse.ingest.vendors import ParseOptions
from netpulse.ingest.vendors.common import decode_text

FORMAT_VERSION = 1
PULL_AGAIN = "let netpulse's pull land it again (do not edit pulled files)"
# ISO 8601 extended format with a time of day and a UTC offset, as the vendors' APIs write times.
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$")


def is_pulled_file(content: bytes, options: ParseOptions) -> bool:
    """A pulled ``.json`` file rather than a CSV export: by the file's suffix, else by its first character."""
    suffix = Path(options.file_name).suffix.lower()
    if suffix:
        return suffix == ".json"
    return content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def read_pulled(content: bytes, api: str, members: tuple[str, ...]) -> dict:
    """The envelope of a file netpulse's pull of ``api`` landed, checked; rejected with the reason."""
    try:
        document = json.loads(decode_text(content))
    except ValueError as exc:
        raise DeliveryRejected(
            f"the file is not JSON ({exc}): a .json file in this folder must be one netpulse's {api} pull "
            f"landed; {PULL_AGAIN}, or deliver the vendor's CSV export as .csv"
        ) from None
    except RecursionError:
        raise DeliveryRejected("the file is JSON nested too deeply to be a pulled file; " + PULL_AGAIN) from None
    pull = document.get("netpulse_pull") if isinstance(document, dict) else None
    if not isinstance(pull, dict):
        raise DeliveryRejected(
            f"the file is JSON but not a file netpulse's {api} pull landed (no \"netpulse_pull\" envelope); "
            f"{PULL_AGAIN}, or deliver the vendor's CSV export as .csv"
        )
    if pull.get("api") != api:
        raise DeliveryRejected(
            f"the file was pulled from the {pull.get('api')!r} API, not {api!r}: it belongs in that API's "
            "format folder"
        )
    if pull.get("format") != FORMAT_VERSION:
        raise DeliveryRejected(
            f"the pulled file's format {pull.get('format')!r} is not one this netpulse reads (format "
            f"{FORMAT_VERSION}); load it with the netpulse version that pulled it, or pull it again"
        )
    missing = [member for member in members if member not in document]
    if missing:
        raise DeliveryRejected(f"the pulled file lacks {', '.join(repr(m) for m in missing)}; {PULL_AGAIN}")
    return document


def utc_time(value: object, where: str, field: str) -> str:
    """An API's time as ISO text with its offset, checked; rejected naming ``where`` and the field."""
    if value is None or value == "":
        raise DeliveryRejected(f"{where}: no {field}; {PULL_AGAIN}")
    text = str(value).strip()
    if not isinstance(value, str) or not ISO_WITH_OFFSET.match(text):
        raise DeliveryRejected(
            f"{where}: {field} {value!r} is not an ISO 8601 time with its UTC offset "
            f"(e.g. 2025-03-12T14:00:00Z); {PULL_AGAIN}"
        )
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise DeliveryRejected(f"{where}: {field} {value!r} is not a date and time; {PULL_AGAIN}") from None
    return text


def pages(document: dict, member: str, items: str) -> list[dict]:
    """The pages of a paged answer, each an object holding a list under ``items``."""
    pages = document.get(member)
    if not isinstance(pages, list) or not pages:
        raise DeliveryRejected(f"the pulled file's {member!r} is not a list of pages; {PULL_AGAIN}")
    for number, page in enumerate(pages, start=1):
        if not isinstance(page, dict) or not isinstance(page.get(items), list):
            raise DeliveryRejected(f"page {number} of {member!r} has no {items!r} list; {PULL_AGAIN}")
    return pages


def text(value: object) -> str:
    return "" if value is None else str(value).strip()
