"""Development stage classifier: versioned rules, plain-words reasons, hysteresis.

The classifier reads one row per network x grain x period with named metrics and returns
the stage of each period. Rules only name metrics, so later signals (key-feature scores,
structure measures) feed it by adding columns and rules, not code.
"""

from __future__ import annotations

import math
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from netpulse.errors import ConfigError
from netpulse.settings import project_path

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
             "==": operator.eq}
SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    value: Any  # a number or bool, or {grain: value}

    def threshold(self, grain: str) -> Any:
        return self.value[grain] if isinstance(self.value, dict) else self.value

    def holds(self, metrics: dict, grain: str) -> bool:
        observed = metrics.get(self.metric)
        if observed is None or (isinstance(observed, float) and math.isnan(observed)):
            return False
        return OPERATORS[self.op](observed, self.threshold(grain))

    def describe(self, metrics: dict, grain: str, window: int) -> str:
        observed = metrics.get(self.metric)
        threshold = self.threshold(grain)
        if isinstance(threshold, bool):
            return _describe_flag(self.metric, bool(observed) if observed is not None else False)
        described = describe_metric(self.metric, observed, metrics, grain, window)
        return f"{described} ({SYMBOLS[self.op]} {_fmt(self.metric, threshold)})"


@dataclass(frozen=True)
class Rule:
    stage: str
    conditions: tuple[Condition, ...]
    note: str | None = None


@dataclass(frozen=True)
class StageRules:
    version: str
    window: dict[str, int]
    hold_periods: dict[str, int]
    stage_order: tuple[str, ...]
    rules: tuple[Rule, ...]

    def rank(self, stage: str) -> int:
        return self.stage_order.index(stage)


def default_rules_path() -> Path:
    configured = os.environ.get("NETPULSE_STAGE_RULES")
    return Path(configured) if configured else project_path("config", "stage_rules.yaml")


def load_stage_rules(path: Path | None = None) -> StageRules:
    path = path or default_rules_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = tuple(
            Rule(
                stage=entry["stage"],
                conditions=tuple(Condition(c["metric"], c["op"], c["value"]) for c in entry.get("when") or ()),
                note=entry.get("note"),
            )
            for entry in document["rules"]
        )
        result = StageRules(
            version=str(document["version"]),
            window=dict(document["window"]),
            hold_periods=dict(document["hold_periods"]),
            stage_order=tuple(document["stage_order"]),
            rules=rules,
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"stage rules {path} cannot be read: {exc}") from None
    for rule in result.rules:
        if rule.stage not in result.stage_order:
            raise ConfigError(f"stage rules {path}: unknown stage {rule.stage!r}")
        for condition in rule.conditions:
            if condition.op not in OPERATORS:
                raise ConfigError(f"stage rules {path}: unknown operator {condition.op!r}")
    if not result.rules or result.rules[-1].conditions:
        raise ConfigError(f"stage rules {path}: the last rule must have no conditions (the default)")
    return result


_METRIC_WORDS = {
    "active_members": "{v} active members",
    "retained_members": "{v} retained from the previous {grain}",
    "new_members": "{v} new members",
    "meetings_held": "{v} meetings held",
    "forum_posts": "{v} forum posts",
    "active_periods_in_window": "active in {v} of the last {window} {grain}s",
    "months_since_first_activity": "{v} months since its first activity",
}


def describe_metric(metric: str, value: Any, metrics: dict, grain: str, window: int) -> str:
    if metric == "share_of_trailing_peak":
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no earlier peak to compare with"
        return (f"{value:.0%} of its peak of {int(metrics['trailing_peak'])} active members "
                f"in the previous {window} {grain}s")
    template = _METRIC_WORDS.get(metric, metric.replace("_", " ") + " {v}")
    return template.format(v=_fmt(metric, value), grain=grain, window=window)


def _describe_flag(metric: str, value: bool) -> str:
    if metric == "reached_emerging_before":
        return "has been emerging or established before" if value else "has never been emerging or established"
    return f"{metric.replace('_', ' ')}: {'yes' if value else 'no'}"


def _fmt(metric: str, value: Any) -> str:
    if isinstance(value, float) and metric.startswith("share"):
        return f"{value:.0%}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def add_signals(periods: pd.DataFrame, rules: StageRules) -> pd.DataFrame:
    """Derived metrics the rules use, computed per network and grain in period order."""
    periods = periods.sort_values(["network_id", "grain", "period_start"]).reset_index(drop=True)
    periods["active_periods_in_window"] = 0
    periods["trailing_peak"] = float("nan")
    for (_, grain), index in periods.groupby(["network_id", "grain"], sort=False).groups.items():
        window = rules.window[grain]
        members = periods.loc[index, "active_members"]
        periods.loc[index, "active_periods_in_window"] = (
            members.gt(0).astype(int).rolling(window, min_periods=1).sum().astype(int)
        )
        periods.loc[index, "trailing_peak"] = members.shift(1).rolling(window, min_periods=1).max()
    peak = periods["trailing_peak"].where(periods["trailing_peak"] > 0)
    periods["share_of_trailing_peak"] = periods["active_members"] / peak
    # Months from the network's first month with activity to the end of this period,
    # inclusive. Taken from the monthly rows so a quarter that began before the first
    # activity does not add months the network did not exist.
    start = pd.to_datetime(periods["period_start"])
    active_months = periods[(periods["grain"] == "month") & (periods["active_members"] > 0)]
    first_month = pd.to_datetime(active_months.groupby("network_id")["period_start"].min())
    first = periods["network_id"].map(first_month)
    if first.isna().any():  # quarter-only input: fall back to the first active period
        fallback = start.where(periods["active_members"] > 0).groupby(
            [periods["network_id"], periods["grain"]]).transform("min")
        first = first.fillna(fallback)
    period_months = periods["grain"].map({"month": 1, "quarter": 3})
    periods["months_since_first_activity"] = (
        (start.dt.year - first.dt.year) * 12 + (start.dt.month - first.dt.month) + period_months
    ).astype("Int64")
    return periods


def _evidence(rules: StageRules, metrics: dict, grain: str) -> tuple[str, str]:
    window = rules.window[grain]
    for rule in rules.rules:
        if all(c.holds(metrics, grain) for c in rule.conditions):
            parts = [c.describe(metrics, grain, window) for c in rule.conditions]
            if rule.note:
                parts.append(rule.note)
            if not rule.conditions:
                active = metrics.get("active_members")
                parts.insert(0, describe_metric("active_members", active, metrics, grain, window))
            return rule.stage, ", ".join(parts)
    raise AssertionError("the default rule always holds")  # guaranteed by load_stage_rules


def classify(periods: pd.DataFrame, rules: StageRules) -> pd.DataFrame:
    """Stage and reason for every period, with hysteresis on the way down.

    Returns the input with ``evidence_stage``, ``stage``, ``stage_reason`` and
    ``stage_rules_version`` added.
    """
    periods = add_signals(periods, rules)
    evidence_stages, stages, reasons = [], [], []
    for (_, grain), group in periods.groupby(["network_id", "grain"], sort=False):
        hold = rules.hold_periods[grain]
        current, pending, reached_emerging = None, 0, False
        for metrics in group.to_dict("records"):
            metrics["reached_emerging_before"] = reached_emerging
            evidence, because = _evidence(rules, metrics, grain)
            if current is None or rules.rank(evidence) >= rules.rank(current):
                stage, reason, pending = evidence, f"{evidence}: {because}", 0
            else:
                pending += 1
                if pending >= hold:
                    stage = evidence
                    reason = (f"{evidence}: {because}; the evidence has held for {pending} "
                              f"consecutive {grain}s")
                    pending = 0
                else:
                    stage = current
                    reason = (f"held at {current}: the evidence points to {evidence} ({because}) "
                              f"for {pending} of the {hold} consecutive {grain}s needed to move down")
            current = stage
            reached_emerging = reached_emerging or rules.rank(stage) >= rules.rank("emerging")
            evidence_stages.append(evidence)
            stages.append(stage)
            reasons.append(reason)
    periods["evidence_stage"] = evidence_stages
    periods["stage"] = stages
    periods["stage_reason"] = reasons
    periods["stage_rules_version"] = rules.version
    return periods
