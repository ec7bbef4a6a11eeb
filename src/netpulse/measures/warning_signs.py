"""Warning signs of a failing network: one row per sign per period in which it holds.

Signs are data (``config/warning_signs.yaml``, versioned). Each compares one signal of a
network's period, on its own or relative to the network's own recent past (its trailing
peak or mean), with a medium and a high threshold. A sign that has held for
``escalate_after`` consecutive periods is high severity whatever its size, because
persistence is what separates a bad month from a failing network. Every row says in words
what was seen, and since when.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from netpulse.config.settings import methodology_file, project_path
from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError
from netpulse.measures.windows import network_runs, trailing

KEYS = ["network_id", "grain", "period_start"]
COLUMNS = [*KEYS, "warning_sign", "severity", "value", "threshold", "evidence", "periods_held", "held_since",
           "warning_signs_version"]
COMPARISONS = ("value", "trailing_peak", "trailing_mean")
GUARD_OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


@dataclass(frozen=True)
class Guard:
    signal: str
    op: str
    value: float


@dataclass(frozen=True)
class Sign:
    id: str
    title: str
    concept: str
    signal: str
    compare: str
    direction: str
    medium: float
    high: float
    only_when: tuple[Guard, ...]

    def crosses(self, value: float, threshold: float) -> bool:
        return value < threshold if self.direction == "below" else value > threshold


@dataclass(frozen=True)
class WarningSignRules:
    version: str
    window: dict[str, int]
    escalate_after: dict[str, int]
    signs: tuple[Sign, ...]


def default_path() -> Path:
    return methodology_file("warning_signs") or project_path("config", "warning_signs.yaml")


def load_warning_signs(path: Path | None = None) -> WarningSignRules:
    path = path or default_path()
    document = read_yaml(path, "warning signs")
    try:
        signs = tuple(
            Sign(
                id=entry["id"], title=entry["title"], concept=entry["concept"], signal=entry["signal"],
                compare=entry["compare"], direction=entry["direction"],
                medium=float(entry["thresholds"]["medium"]), high=float(entry["thresholds"]["high"]),
                only_when=tuple(Guard(g["signal"], g["op"], float(g["value"])) for g in entry.get("only_when") or ()),
            )
            for entry in document["signs"]
        )
        rules = WarningSignRules(str(document["version"]), dict(document["window"]),
                                 dict(document["escalate_after"]), signs)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"warning signs {path}: not well formed: {exc!r}") from None
    for sign in rules.signs:
        problems = []
        if sign.compare not in COMPARISONS:
            problems.append(f"compare must be one of {', '.join(COMPARISONS)}")
        if sign.direction not in ("below", "above"):
            problems.append("direction must be below or above")
        if sign.crosses(sign.medium, sign.high):  # the high threshold must be the more extreme one
            problems.append("the high threshold must be at least as extreme as the medium one")
        problems += [f"unknown operator {g.op!r}" for g in sign.only_when if g.op not in GUARD_OPERATORS]
        if problems:
            raise ConfigError(f"warning signs {path}: sign {sign.id}: " + "; ".join(problems))
    return rules


def _with_trailing(periods: pd.DataFrame, rules: WarningSignRules) -> pd.DataFrame:
    """Add ``<signal>_trailing_peak`` and ``<signal>_trailing_mean`` for every signal a sign compares."""
    periods = periods.sort_values(KEYS).reset_index(drop=True)
    signals = {s.signal for s in rules.signs if s.compare != "value"}
    for signal in signals - set(periods.columns):  # a signal not measured: no evidence, no sign
        periods[signal] = float("nan")
    windows = {grain: int(n) for grain, n in rules.window.items()}
    for signal in sorted(signals):
        periods[f"{signal}_trailing_peak"] = trailing(periods, periods[signal], windows, "max", before=True)
        periods[f"{signal}_trailing_mean"] = trailing(periods, periods[signal], windows, "mean", before=True)
    return periods


def _number(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _assess(sign: Sign, row: dict, window: int, grain: str) -> tuple[float, float, str] | None:
    """(value compared, threshold crossed, evidence) when the sign holds in this period."""
    for guard in sign.only_when:
        observed = _number(row.get(guard.signal))
        if observed is None or not GUARD_OPERATORS[guard.op](observed, guard.value):
            return None
    observed = _number(row.get(sign.signal))
    if observed is None:
        return None
    if sign.compare == "value":
        value = observed
    else:
        basis = _number(row.get(f"{sign.signal}_{sign.compare}"))
        if not basis:
            return None
        value = observed / basis
    if not sign.crosses(value, sign.medium):
        return None
    threshold = sign.high if sign.crosses(value, sign.high) else sign.medium
    relation = "<" if sign.direction == "below" else ">"
    name = sign.signal.replace("_", " ")
    if sign.compare == "value":
        evidence = f"{name} {_fmt(observed)} ({relation} {_fmt(threshold)})"
    else:
        what = "peak" if sign.compare == "trailing_peak" else "mean"
        evidence = (f"{name} {_fmt(observed)}, {value:.0%} of its {what} of {_fmt(basis)} in the previous "
                    f"{window} {grain}s ({relation} {threshold:.0%})")
    return value, threshold, f"{sign.title}: {evidence}"


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def detect_warning_signs(periods: pd.DataFrame, rules: WarningSignRules) -> pd.DataFrame:
    """Every sign in every period where it holds, with severity and consecutive periods held."""
    if periods.empty:
        return pd.DataFrame(columns=COLUMNS)
    periods = _with_trailing(periods, rules)  # sorted by network, grain and period: each network x grain a run
    rows = []
    every = periods.to_dict("records")
    for lo, hi, grain in network_runs(periods):
        window, escalate = rules.window[grain], rules.escalate_after[grain]
        records = every[lo:hi]
        for sign in rules.signs:
            held, since = 0, None
            for row in records:
                found = _assess(sign, row, window, grain)
                if found is None:
                    held, since = 0, None
                    continue
                held, since = held + 1, since or row["period_start"]
                value, threshold, evidence = found
                high = threshold == sign.high or held >= escalate
                if held > 1:
                    evidence += f"; held for {held} consecutive {grain}s"
                rows.append({
                    "network_id": row["network_id"], "grain": grain, "period_start": row["period_start"],
                    "warning_sign": sign.id, "severity": "high" if high else "medium", "value": value,
                    "threshold": threshold, "evidence": evidence, "periods_held": held, "held_since": since,
                    "warning_signs_version": rules.version,
                })
    return pd.DataFrame(rows, columns=COLUMNS)
