"""The one reader of netpulse's YAML files (networks, instruments, methodology, overrides).

Every configuration mistake reads the same way, ``<what> <path>: <problem>``, with the line
and column where YAML can say, so a data team fixing a file at 5 pm sees where to look.

Safe loading only (no tags that build Python objects), and a key given twice in one mapping
is an error: PyYAML keeps the last silently, so a second ``suppression:`` pasted at the end
of a networks file would otherwise replace the first without a word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from netpulse.errors import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader refusing a key given twice in the same mapping."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.setdefault(key, key_node.start_mark.line + 1)
        except TypeError:  # an unhashable key: the constructor below says so in its own words
            continue
        if first != key_node.start_mark.line + 1:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {first})", key_node.start_mark)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def where_in_file(exc: yaml.YAMLError) -> str:
    """``line 4, column 7: <problem>`` for a YAML error, as plainly as YAML can say it."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def read_yaml(path: Path | str, what: str, *, expect: type = dict, empty: Any = None) -> Any:
    """The document in ``path``; a missing, unreadable or malformed file is a ConfigError.

    ``what`` names the file for a person ("network configuration", "stage rules"). ``expect``
    is the type the top level must have; an empty file gives ``empty`` when it is not None.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} {path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path}: not UTF-8 text (at byte offset {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot be read: {exc.strerror or exc}") from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {path}: not valid YAML: {where_in_file(exc)}") from None
    if document is None and empty is not None:
        return empty
    if not isinstance(document, expect):
        kind = "a mapping" if expect is dict else "a list" if expect is list else expect.__name__
        raise ConfigError(f"{what} {path}: expected {kind} at the top level, found "
                          f"{type(document).__name__ if document is not None else 'an empty file'}")
    return document
