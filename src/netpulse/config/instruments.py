"""Survey instruments: which question measures which key feature, and how its answers score.

An instrument is a YAML file (``config/instruments/<id>.yaml``; the shipped default is
``netpulse-core-v1``). It lists the items of a questionnaire, each with:

- ``id``: the item's name in the warehouse and the column of a generic survey file (the
  generic loader lower-cases headers and stores them as the item), so an item keeps one
  name whichever export it came from: lower case, letters, digits and ``_``;
- ``key_feature``: the id of a key feature of effective networks (``config/key_features.yaml``; an
  id it was formerly known by is read as its id, with a warning, for one version);
- ``text``: the statement respondents rate;
- ``reverse``: a negatively worded statement; its stored score is 6 minus the answer given,
  so that 5 is always the favourable end;
- ``source_columns``: per export format (``generic``, ``qualtrics``, ``msforms``) the vendor
  columns that hold the item: a Qualtrics column id (``Q2_1``), a Forms question header, a
  generic column name. A vendor column whose question text *is* the item's text is found
  without being listed (case, spacing, curly quotes and a final full stop are ignored).

and for the whole instrument the Likert ``labels`` (answer texts per score 1 to 5; numbers
are always accepted too), ``no_answer`` texts (stored as blank), the survey ``waves`` and
``keep_free_text``.

Free text: netpulse v1 never loads free-text answers (members' own words can identify them).
``keep_free_text: true`` is accepted, so that an instrument can record the intent, but no
parser returns free text in v1; a warning says so when such an instrument is loaded.

Scores: a generic survey file carries stored scores (reverse-coded items already reversed,
as the vendor parsers produce them), because the generic loader does not read instruments.
"""

from __future__ import annotations

import html
import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from netpulse.config.key_features import active_key_features
from netpulse.config.settings import config_dir, layered_config_files, project_dir, project_path
from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError, DeliveryRejected

log = logging.getLogger(__name__)

DEFAULT_INSTRUMENT = "netpulse-core-v1"
EXPORT_FORMATS = ("generic", "qualtrics", "msforms")
SCORES = (1, 2, 3, 4, 5)
DEFAULT_LABELS = {
    1: ("Strongly disagree",),
    2: ("Disagree",),
    3: ("Neither agree nor disagree",),
    4: ("Agree",),
    5: ("Strongly agree",),
}
# Columns of the generic survey format that are not items: an item may not take their name.
RESERVED_IDS = ("response_id", "instrument", "submitted_at", "email", "finished", "name",
                "line_number", "source_user_id", "display_name", "is_guest")

_INSTRUMENT_KEYS = {"id", "title", "description", "keep_free_text", "labels", "no_answer", "waves", "items"}
_ITEM_KEYS = {"id", "key_feature", "text", "reverse", "source_columns"}
_WAVE_KEYS = {"id", "opens", "closes"}
_ITEM_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_INSTRUMENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NUMBER = re.compile(r"^[+]?([1-5])(?:\.0*)?$")
_TAG = re.compile(r"<[^<>]*>")


class InvalidAnswer(ValueError):
    """An answer that is neither a Likert label, a score 1 to 5, blank nor a no-answer text."""

    def __init__(self, value: object, labels: str):
        self.value = value
        self.labels = labels
        super().__init__(f"{value!r} is not one of the Likert labels ({labels})")


def normalise_text(value: object) -> str:
    """Text compared loosely: case, spacing, curly quotes, HTML and a final full stop do not matter.

    Exports differ in exactly these ways from the wording in an instrument (Word and Forms
    turn ' into ’; Qualtrics keeps trailing spaces and the rich-text markup of a question;
    people add or drop the full stop).
    """
    text = _TAG.sub(" ", html.unescape(str(value)))
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = " ".join(text.split()).casefold()
    return text.rstrip(".").rstrip()


@dataclass(frozen=True)
class Item:
    id: str
    key_feature: str
    text: str
    reverse: bool = False
    source_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Wave:
    id: str
    opens: date
    closes: date

    def holds(self, day: date) -> bool:
        return self.opens <= day <= self.closes


@dataclass(frozen=True, eq=False)
class Instrument:
    """A validated instrument; build it with :func:`load_instrument`."""

    id: str
    items: tuple[Item, ...]
    labels: Mapping[int, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    no_answer: tuple[str, ...] = ()
    waves: tuple[Wave, ...] = ()
    keep_free_text: bool = False
    title: str = ""
    path: Path | None = None
    _answers: dict = field(init=False, repr=False, compare=False)
    _columns: dict = field(init=False, repr=False, compare=False)
    _texts: dict = field(init=False, repr=False, compare=False)
    _by_id: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        answers = {normalise_text(text): None for text in self.no_answer}
        for score, texts in self.labels.items():
            answers.update({normalise_text(text): score for text in texts})
        columns = {}
        for item in self.items:
            columns[("generic", item.id)] = item.id
            for export_format, names in item.source_columns.items():
                columns.update({(export_format, normalise_text(name)): item.id for name in names})
        object.__setattr__(self, "_answers", answers)
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "_texts", {normalise_text(item.text): item.id for item in self.items})
        object.__setattr__(self, "_by_id", {item.id: item for item in self.items})

    # -- items ---------------------------------------------------------------------------

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def item(self, item_id: str) -> Item:
        return self._by_id[item_id]

    def items_by_feature(self) -> dict[str, tuple[str, ...]]:
        """Item ids per key feature, in instrument order (features without items left out)."""
        return {feature: tuple(i.id for i in self.items if i.key_feature == feature)
                for feature in key_feature_titles() if any(i.key_feature == feature for i in self.items)}

    def item_for(self, column: str, export_format: str = "generic") -> str | None:
        """The item a vendor column holds, or None for a column the instrument does not use.

        The column's listed ``source_columns`` for that export format win; a generic column
        may also be named by the item id; a vendor column matches an item whose text is its
        question text, also when the export prefixes it (Qualtrics matrix rows
        "Question - Statement", Forms Likert rows "Question.Statement").
        """
        if export_format not in EXPORT_FORMATS:
            raise ValueError(f"export_format must be one of {', '.join(EXPORT_FORMATS)}")
        key = normalise_text(column)
        if (export_format, key) in self._columns:
            return self._columns[(export_format, key)]
        if export_format == "generic":
            return None
        for candidate in _text_candidates(str(column)):
            if candidate in self._texts:
                return self._texts[candidate]
        return None

    def match_columns(self, headers: Sequence[Sequence[str]], export_format: str) -> dict[int, str]:
        """Item of each column that holds one: {column position: item id}.

        Each header gives the names a column goes by, most specific first (a Qualtrics
        column id, then its question text). Two columns holding one item reject the file:
        which of them to load cannot be decided here. So does an export in which no column
        holds an item: every answer would be lost without a word, which is a mapping to fix.
        """
        found: dict[int, str] = {}
        first_column: dict[str, str] = {}
        for position, names in enumerate(headers):
            item_id = next((i for i in (self.item_for(n, export_format) for n in names if n) if i), None)
            if item_id is None:
                continue
            if item_id in first_column:
                raise DeliveryRejected(
                    f"columns {first_column[item_id]!r} and {names[0]!r} both hold item {item_id} of "
                    f"instrument {self.id}; keep one, or map them apart in the instrument's source_columns"
                )
            first_column[item_id] = names[0]
            found[position] = item_id
        if not found:
            raise DeliveryRejected(
                f"no column of this {export_format} export holds an item of instrument {self.id}: name the "
                f"export's question columns under source_columns: {{{export_format}: [...]}} in the instrument, "
                "or word its item texts as the questions are worded"
            )
        return found

    # -- answers ---------------------------------------------------------------------------

    def describe_labels(self) -> str:
        return ", ".join(texts[0] for _, texts in sorted(self.labels.items())) + ", or 1 to 5"

    def answer_value(self, value: object) -> int | None:
        """The answer given, 1 to 5, before reverse coding; None for no answer."""
        if value is None or value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, bool):  # True is an int to Python, not a Likert answer
            raise InvalidAnswer(value, self.describe_labels())
        if isinstance(value, int):
            if value in SCORES:
                return value
            raise InvalidAnswer(value, self.describe_labels())
        if isinstance(value, float):
            if math.isnan(value):
                return None
            if value.is_integer() and int(value) in SCORES:
                return int(value)
            raise InvalidAnswer(value, self.describe_labels())
        if isinstance(value, str):
            key = normalise_text(value)
            if not key:
                return None
            if key in self._answers:
                return self._answers[key]
            number = _NUMBER.match(key)
            if number:
                return int(number.group(1))
        raise InvalidAnswer(value, self.describe_labels())

    def score(self, column: str, value: object) -> int | None:
        """The stored score 1 to 5 of an answer (label or number), after reverse coding.

        ``column`` is an item id or a generic column mapped to one. Blank and no-answer
        texts give None; anything else raises :class:`InvalidAnswer`.
        """
        item_id = column if column in self._by_id else self.item_for(column)
        if item_id is None:
            raise KeyError(f"instrument {self.id} has no item for column {column!r}")
        given = self.answer_value(value)
        if given is None:
            return None
        return 6 - given if self._by_id[item_id].reverse else given

    def score_series(self, item_id: str, values: pd.Series, *, rows: pd.Series, column: str) -> pd.Series:
        """A column of answers to stored scores as text ("1" to "5", missing for no answer).

        Each distinct answer is scored once. The first answer that is not a label rejects the
        file, naming its row and column as the coordinator sees them in the export.
        """
        scores = {}
        for value in values.dropna().unique():
            try:
                scores[value] = self.score(item_id, value)
            except InvalidAnswer:
                first = values[values.eq(value).fillna(False)].index[0]
                shown = value.strip() if isinstance(value, str) else value
                raise DeliveryRejected(
                    f"row {rows[first]}: {column} {shown!r} is not one of the Likert labels of instrument "
                    f"{self.id} ({self.describe_labels()}); correct the answer or the instrument's labels"
                ) from None
        text = {value: (str(score) if score is not None else pd.NA) for value, score in scores.items()}
        return values.map(text).astype("string")

    # -- waves -------------------------------------------------------------------------------

    def wave_for(self, when: date | datetime | str | None, timezone: str | None = None) -> str | None:
        """The id of the wave a submission belongs to, or None outside every wave.

        The calendar date is taken as written: an ISO text or datetime with an offset is
        converted to ``timezone`` first when one is given (the network's zone), else its
        own local date counts.
        """
        if when is None or when is pd.NaT:
            return None
        if isinstance(when, str):
            try:
                when = datetime.fromisoformat(when.strip())
            except ValueError:
                raise ValueError(f"{when!r} is not an ISO 8601 date or date and time") from None
        if isinstance(when, datetime):
            if when.tzinfo is not None and timezone:
                when = when.astimezone(ZoneInfo(timezone))
            when = when.date()
        return next((wave.id for wave in self.waves if wave.holds(when)), None)


def _text_candidates(column: str) -> Iterable[str]:
    """A header's text and the statements it may end with ("Question - Statement")."""
    yield normalise_text(column)
    for separator in (" - ", "."):
        parts = column.split(separator)
        for start in range(1, len(parts)):
            tail = normalise_text(separator.join(parts[start:]))
            if tail:
                yield tail


# -- loading -------------------------------------------------------------------------------


def load_instrument(path: Path | str) -> Instrument:
    """Read and validate an instrument file; every mistake is a ConfigError naming it."""
    path = Path(path)
    document = read_yaml(path, "instrument file", expect=object)
    instrument = instrument_from_dict(document, where=str(path), path=path)
    if instrument.keep_free_text:
        log.warning("%s: keep_free_text is true, but netpulse v1 never loads free-text answers", path)
    return instrument


def default_instrument() -> Instrument:
    """The shipped netpulse core instrument."""
    return load_instrument(project_path("config", "instruments", f"{DEFAULT_INSTRUMENT}.yaml"))


def instrument_paths() -> dict[str, Path]:
    """Instrument files by name: ``config/instruments/`` with ``<config dir>/instruments/`` over it.

    A file in the configuration folder (``NETPULSE_CONFIG_DIR``) with the name of a shipped one
    replaces it; any other adds an instrument.
    """
    return layered_config_files("instruments", project_dir() / "config" / "instruments")


def instrument_hint(instrument_id: str) -> str:
    """Where the definition of an instrument would go, in words for the person running netpulse."""
    folder = config_dir()
    where = folder / "instruments" if folder is not None else Path("<NETPULSE_CONFIG_DIR>") / "instruments"
    return f"add {where / f'{instrument_id}.yaml'}"


def find_instrument(name: str) -> Instrument:
    """An instrument by id (``<id>.yaml`` among :func:`instrument_paths`) or by the path of its file."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return load_instrument(Path(name))
    paths = instrument_paths()
    if name not in paths:
        known = ", ".join(sorted(paths)) or "none"
        raise ConfigError(f"no instrument {name!r}: {instrument_hint(name)}; known: {known}")
    return load_instrument(paths[name])


def instrument_from_dict(document: object, where: str = "instrument", path: Path | None = None) -> Instrument:
    """Validate a parsed instrument document (see the module docstring for its keys)."""
    if not isinstance(document, dict):
        raise ConfigError(f"{where}: an instrument is a mapping with id, labels, waves and items")
    _no_unknown_keys(document, _INSTRUMENT_KEYS, where)
    instrument_id = document.get("id")
    if not isinstance(instrument_id, str) or not _INSTRUMENT_ID.match(instrument_id):
        raise ConfigError(f"{where}: id must be a name like netpulse-core-v1 (letters, digits, '.', '_', '-')")
    where = f"{where} ({instrument_id})"
    keep_free_text = document.get("keep_free_text", False)
    if not isinstance(keep_free_text, bool):
        raise ConfigError(f"{where}: keep_free_text must be true or false")
    labels = _labels(document.get("labels"), where)
    no_answer = _no_answer(document.get("no_answer"), labels, where)
    return Instrument(
        id=instrument_id,
        title=str(document.get("title") or instrument_id),
        items=_items(document.get("items"), where),
        labels=labels,
        no_answer=no_answer,
        waves=_waves(document.get("waves"), where),
        keep_free_text=keep_free_text,
        path=path,
    )


def _no_unknown_keys(mapping: dict, known: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in set(mapping) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def _texts(value: object, what: str, where: str) -> tuple[str, ...]:
    """A text or a list of texts, each non-empty."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigError(f"{where}: {what} must be a text or a list of texts")
    return tuple(v.strip() for v in values)


def _labels(value: object, where: str) -> dict[int, tuple[str, ...]]:
    """Answer texts per score: exactly the scores 1 to 5, no text under two scores."""
    if value is None:
        return dict(DEFAULT_LABELS)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: labels must map each score 1 to 5 to its answer text(s)")
    scores = {}
    for key, texts in value.items():
        try:
            score = int(str(key).strip())
        except ValueError:
            score = None
        if score not in SCORES or str(key).strip() != str(score):
            raise ConfigError(f"{where}: labels: {key!r} is not a score; labels are given for the scores 1 to 5")
        scores[score] = _texts(texts, f"labels {score}", where)
    if sorted(scores) != list(SCORES):
        missing = ", ".join(str(s) for s in SCORES if s not in scores)
        raise ConfigError(f"{where}: labels must give the answer text(s) of every score 1 to 5; missing {missing}")
    seen: dict[str, int] = {}
    for score, texts in sorted(scores.items()):
        for text in texts:
            key = normalise_text(text)
            if key in seen and seen[key] != score:
                raise ConfigError(f"{where}: labels: {text!r} is given for both {seen[key]} and {score}")
            number = _NUMBER.match(key)
            if number and int(number.group(1)) != score:
                raise ConfigError(f"{where}: labels: {text!r} under {score} would read as the score {key}")
            seen[key] = score
    return scores


def _no_answer(value: object, labels: dict[int, tuple[str, ...]], where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    texts = _texts(value, "no_answer", where)
    label_texts = {normalise_text(t) for ts in labels.values() for t in ts}
    for text in texts:
        if normalise_text(text) in label_texts or _NUMBER.match(normalise_text(text)):
            raise ConfigError(f"{where}: no_answer {text!r} is a Likert answer; it cannot also mean no answer")
    return texts


def _items(value: object, where: str) -> tuple[Item, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: items must be a non-empty list")
    items: list[Item] = []
    claimed: dict[tuple[str, str], str] = {}
    texts: dict[str, str] = {}
    for number, entry in enumerate(value, start=1):
        item = _item(entry, f"{where}: item {number}")
        if item.id in {i.id for i in items}:
            raise ConfigError(f"{where}: duplicate item id {item.id!r} (item {number})")
        text_key = normalise_text(item.text)
        if text_key in texts:
            raise ConfigError(f"{where}: items {texts[text_key]} and {item.id} have the same text")
        texts[text_key] = item.id
        for export_format, names in item.source_columns.items():
            for name in names:
                key = (export_format, normalise_text(name))
                if key in claimed:
                    raise ConfigError(f"{where}: {export_format} column {name!r} is a source of both "
                                      f"{claimed[key]} and {item.id}")
                claimed[key] = item.id
        items.append(item)
    ids = {item.id for item in items}
    for (export_format, name), owner in claimed.items():  # nor may a generic column be another item's id
        if export_format == "generic" and name in ids and name != owner:
            raise ConfigError(f"{where}: generic column {name!r} of item {owner} is the id of another item")
    return tuple(items)


def key_feature_titles() -> dict[str, str]:
    """Key feature id -> title, in declaration order (``config/key_features.yaml``)."""
    return {f.id: f.title for f in active_key_features().features}


def _key_feature(value: object, where: str) -> str:
    features = active_key_features()
    current = features.current_id(value) if isinstance(value, str) else None
    if current is None:
        known = ", ".join(f.id for f in features.features)
        raise ConfigError(f"{where}: unknown key feature {value!r}; one of {known}")
    if current != value:
        log.warning("%s: key_feature %s is the former id of %s; read as %s in this version only, rename it",
                    where, value, current, current)
    return current


def _item(entry: object, where: str) -> Item:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: an item is a mapping with id, key_feature, text and reverse")
    _no_unknown_keys(entry, _ITEM_KEYS, where)
    item_id = entry.get("id")
    if not isinstance(item_id, str) or not _ITEM_ID.match(item_id):
        raise ConfigError(f"{where}: id {item_id!r} must be lower case letters, digits or _, starting with a "
                          "letter (it is a column name of the generic survey format)")
    where = f"{where} ({item_id})"
    if item_id in RESERVED_IDS:
        raise ConfigError(f"{where}: {item_id!r} is a column of the survey format, not an item id")
    feature = _key_feature(entry.get("key_feature"), where)
    text = entry.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: text (the statement respondents rate) is required")
    reverse = entry.get("reverse", False)
    if not isinstance(reverse, bool):
        raise ConfigError(f"{where}: reverse must be true or false")
    return Item(id=item_id, key_feature=feature, text=text.strip(), reverse=reverse,
                source_columns=_source_columns(entry.get("source_columns"), where))


def _source_columns(value: object, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: source_columns maps an export format ({', '.join(EXPORT_FORMATS)}) "
                          "to its column(s)")
    unknown = sorted(str(k) for k in value if k not in EXPORT_FORMATS)
    if unknown:
        raise ConfigError(f"{where}: source_columns: unknown export format(s) {', '.join(unknown)}; "
                          f"one of {', '.join(EXPORT_FORMATS)}")
    return {fmt: _texts(names, f"source_columns {fmt}", where) for fmt, names in value.items()}


def _waves(value: object, where: str) -> tuple[Wave, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: waves must be a list of {{id, opens, closes}}")
    waves: list[Wave] = []
    for number, entry in enumerate(value, start=1):
        here = f"{where}: wave {number}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{here}: a wave is a mapping with id, opens and closes")
        _no_unknown_keys(entry, _WAVE_KEYS, here)
        wave_id = entry.get("id")
        if not isinstance(wave_id, str | int) or not str(wave_id).strip():
            raise ConfigError(f"{here}: id is required, e.g. 2026-spring")
        wave = Wave(str(wave_id), _date(entry.get("opens"), "opens", here), _date(entry.get("closes"), "closes", here))
        if wave.closes < wave.opens:
            raise ConfigError(f"{here} ({wave.id}): closes {wave.closes} is before opens {wave.opens}")
        for other in waves:
            if other.id == wave.id:
                raise ConfigError(f"{where}: duplicate wave id {wave.id!r}")
            if wave.opens <= other.closes and other.opens <= wave.closes:
                raise ConfigError(f"{where}: waves {other.id} and {wave.id} overlap; a response must "
                                  "belong to one wave")
        waves.append(wave)
    return tuple(waves)


def _date(value: object, what: str, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {what} must be a date like 2026-03-01, not {value!r}") from None
