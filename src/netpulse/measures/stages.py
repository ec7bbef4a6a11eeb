"""Development stage classifier: versioned rules, plain-words reasons, hysteresis.

The classifier reads one row per network x grain x period with named metrics and returns
the stage of each period. Rules only name metrics, so later signals (key-feature scores,
structure measures) feed it by adding columns and rules, not code.

Every version of the rules is kept, one file per version in ``config/stage_rules/``, the
file named after its version. The current version is the highest one (or the file named by
``NETPULSE_STAGE_RULES``); :func:`classify_versions` classifies the same periods with every
version, so a new version covers all history and the older ones stay comparable.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import re
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from netpulse.config.key_features import active_key_features
from netpulse.config.settings import layered_config_files, methodology_file, project_path
from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError
from netpulse.measures.stage_overrides import StageOverride, load_overrides
from netpulse.measures.windows import network_runs, trailing

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
             "==": operator.eq, "in": lambda observed, allowed: observed in allowed}
SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "in": "one of"}
# What a condition of a lower stage's rule must become for that rule to stop holding.
NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠", "in": "not one of"}
MET, NOT_MET = "✓", "✗"
# Metrics a network cannot change by acting (once emerging, always "has been emerging"): a
# lower stage's rule is never described as lifted by them.
FIXED_METRICS = {"reached_emerging_before"}
MISSING = ("fail", "pass")  # what a condition does when its metric is undefined

_DOCUMENT_KEYS = {"version", "window", "hold_periods", "stage_order", "rules"}
_RULE_KEYS = {"stage", "when", "note"}
_CONDITION_KEYS = {"metric", "op", "value", "missing"}

# The key features' labels while periods are classified: read once per classification, not
# once per condition described (a million times on 200 networks, most of the stage step's time).
_LABELS: ContextVar[dict[str, str] | None] = ContextVar("key_feature_labels", default=None)


def _feature_labels() -> dict[str, str]:
    """Score column -> short label of the key features in force (``config/key_features.yaml``)."""
    labels = _LABELS.get()
    if labels is None:
        labels = {f.column: f.label for f in active_key_features().features}
    return labels


def is_undefined(value: Any) -> bool:
    """None, NaN, pd.NA or NaT: the metric has no value in this period."""
    if value is None:
        return True
    if isinstance(value, (str, bool, list, tuple, dict, set)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    value: Any  # a number, bool or string, a list for "in", or {grain: value}
    missing: str = "fail"  # "pass": the condition holds when the metric is undefined

    def threshold(self, grain: str) -> Any:
        return self.value[grain] if isinstance(self.value, dict) else self.value

    def holds(self, metrics: dict, grain: str) -> bool:
        observed = metrics.get(self.metric)
        if is_undefined(observed):
            return self.missing == "pass"
        return bool(OPERATORS[self.op](observed, self.threshold(grain)))

    def describe(self, metrics: dict, grain: str, window: int) -> str:
        observed = metrics.get(self.metric)
        threshold = self.threshold(grain)
        if is_undefined(observed) and self.missing == "pass":
            return f"{describe_missing(self.metric)} (not required)"
        if is_undefined(observed):  # a condition not met for want of evidence (next-stage reasons)
            if isinstance(threshold, bool):
                return describe_missing(self.metric)
            shown = (", ".join(_fmt(self.metric, v) for v in threshold) if self.op == "in"
                     else _fmt(self.metric, threshold, threshold=True))
            return f"{describe_missing(self.metric)} ({SYMBOLS[self.op]} {shown})"
        if isinstance(threshold, bool):
            return _describe_flag(self.metric, bool(observed) if not is_undefined(observed) else False)
        if self.op == "in":
            described = describe_metric(self.metric, observed, metrics, grain, window)
            return f"{described} (one of {', '.join(_fmt(self.metric, v) for v in threshold)})"
        # Rounding must not make the words contradict the rule (39.6 shown as "40 (< 40)").
        precise = OPERATORS[self.op](_shown(self.metric, observed), threshold) != self.holds(metrics, grain)
        described = describe_metric(self.metric, observed, metrics, grain, window, precise=precise)
        return f"{described} ({SYMBOLS[self.op]} {_fmt(self.metric, threshold, threshold=True)})"

    def marked(self, metrics: dict, grain: str, window: int) -> str:
        """The condition with the period's value, marked met (✓) or not met (✗)."""
        return f"{self.describe(metrics, grain, window)} {MET if self.holds(metrics, grain) else NOT_MET}"

    def lifted(self, metrics: dict, grain: str, window: int) -> str:
        """What this condition of a lower stage's rule must become for the rule to stop holding."""
        observed = metrics.get(self.metric)
        threshold = self.threshold(grain)
        shown = ", ".join(_fmt(self.metric, v) for v in threshold) if self.op == "in" else \
            _fmt(self.metric, threshold, threshold=True)
        precise = self.op != "in" and not is_undefined(observed) and OPERATORS[self.op](
            _shown(self.metric, observed), threshold) != OPERATORS[self.op](observed, threshold)
        described = describe_metric(self.metric, observed, metrics, grain, window, precise=precise)
        return f"{described} (needs {NEGATED[self.op]} {shown}) {NOT_MET}"

    def basis(self, grain: str) -> str:
        """The condition's threshold in words, without any period's value (for funder extracts)."""
        threshold = self.threshold(grain)
        if self.op == "in":
            words = f"{metric_name(self.metric)} one of {', '.join(str(v) for v in threshold)}"
        else:
            words = f"{metric_name(self.metric)} {SYMBOLS[self.op]} {threshold}"
        return words + (" (where evidence exists)" if self.missing == "pass" else "")


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
    # Stages set by hand (netpulse.measures.stage_overrides), applied after the rules. Loaded with
    # the rules so that every build's definitions (and so its rebuild decision) include them.
    overrides: tuple[StageOverride, ...] = ()

    def rank(self, stage: str) -> int:
        return self.stage_order.index(stage)


def rules_folder() -> Path:
    """``config/stage_rules/``: one file per rules version, named after the version."""
    return project_path("config", "stage_rules")


def version_key(version: str) -> tuple:
    """Natural order of versions: stage-rules-2 before stage-rules-10."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", version))


def _folder_files() -> list[Path]:
    """The shipped rules files, with those of the configuration folder's ``stage_rules/`` over them.

    A file in ``NETPULSE_CONFIG_DIR/stage_rules/`` with the name of a shipped one replaces it;
    any other is one more version (see docs/methodology.md, "Your own configuration folder").
    """
    files = layered_config_files("stage_rules", rules_folder())
    return sorted(files.values(), key=lambda p: version_key(p.stem))


def default_rules_path() -> Path:
    """The current rules: the file in NETPULSE_STAGE_RULES if set, else the folder's highest version."""
    configured = methodology_file("stage_rules")
    if configured:
        return configured
    files = _folder_files()
    if not files:
        raise ConfigError(f"stage rules {rules_folder()}: no rules file (stage-rules-N.yaml)")
    return files[-1]


def load_rule_sets() -> list[StageRules]:
    """Every rules version, in version order: the folder's files plus NETPULSE_STAGE_RULES if set."""
    loaded: dict[str, tuple[Path, StageRules]] = {}
    paths = _folder_files()
    configured = methodology_file("stage_rules")
    if configured:
        paths.append(configured)
    for path in paths:
        rules = load_stage_rules(path)
        if rules.version in loaded:
            earlier, same = loaded[rules.version]
            if earlier.resolve() == path.resolve() or same == rules:
                continue  # NETPULSE_STAGE_RULES names a version that is already in the folder
            raise ConfigError(f"stage rules {path}: version {rules.version!r} is also {earlier}, "
                              "with different rules; give the new rules a new version")
        loaded[rules.version] = (path, rules)
    rule_sets = [rules for _, rules in sorted(loaded.values(), key=lambda item: version_key(item[1].version))]
    stages = tuple(dict.fromkeys(stage for rules in rule_sets for stage in rules.stage_order))
    overrides = load_overrides(stages=stages)
    return [dataclasses.replace(rules, overrides=overrides) for rules in rule_sets]


def current_rules(rule_sets: list[StageRules]) -> StageRules:
    """The current version among rules already loaded with :func:`load_rule_sets`.

    A rules file's name is its version (``load_stage_rules`` refuses any other), so the current
    version is known from its path without reading the file again.
    """
    version = default_rules_path().stem
    return next(r for r in rule_sets if r.version == version)


def load_stage_rules(path: Path | None = None) -> StageRules:
    """One rules file; by default the current version (see :func:`default_rules_path`)."""
    path = Path(path) if path is not None else default_rules_path()
    document = read_yaml(path, "stage rules")
    _check_keys(path, "the file", document, _DOCUMENT_KEYS, required=_DOCUMENT_KEYS)
    try:
        window = {str(k): int(v) for k, v in dict(document["window"]).items()}
        hold_periods = {str(k): int(v) for k, v in dict(document["hold_periods"]).items()}
        stage_order = tuple(str(s) for s in document["stage_order"])
        entries = list(document["rules"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"stage rules {path}: window, hold_periods, stage_order or rules "
                          f"are not well formed: {exc}") from None
    version = str(document["version"])
    if path.stem != version:
        raise ConfigError(f"stage rules {path}: the file name must be its version: "
                          f"rename it {version}{path.suffix} or set version: {path.stem}")
    if set(hold_periods) != set(window):
        raise ConfigError(f"stage rules {path}: window and hold_periods must name the same grains")
    for needed in ("emerging",):
        if needed not in stage_order:
            raise ConfigError(f"stage rules {path}: stage_order must include {needed!r}")
    rules = tuple(_parse_rule(path, number, entry, stage_order, set(window))
                  for number, entry in enumerate(entries, start=1))
    if not rules or rules[-1].conditions:
        raise ConfigError(f"stage rules {path}: the last rule must have no conditions (the default)")
    return StageRules(version=version, window=window, hold_periods=hold_periods,
                      stage_order=stage_order, rules=rules)


def _check_keys(path: Path, where: str, entry: dict, allowed: set, required: set) -> None:
    unknown = sorted(set(map(str, entry)) - allowed)
    if unknown:
        raise ConfigError(f"stage rules {path}: {where}: unknown key {unknown[0]!r} "
                          f"(allowed: {', '.join(sorted(allowed))})")
    absent = sorted(required - set(map(str, entry)))
    if absent:
        raise ConfigError(f"stage rules {path}: {where}: missing key {absent[0]!r}")


def _parse_rule(path: Path, number: int, entry: Any, stage_order: tuple[str, ...], grains: set) -> Rule:
    where = f"rule {number}"
    if not isinstance(entry, dict):
        raise ConfigError(f"stage rules {path}: {where}: expected a mapping with stage, when and note")
    _check_keys(path, where, entry, _RULE_KEYS, required={"stage"})
    stage = str(entry["stage"])
    where = f"rule {number} ({stage})"
    if stage not in stage_order:
        raise ConfigError(f"stage rules {path}: {where}: unknown stage {stage!r}")
    when = entry.get("when") or []
    if not isinstance(when, list):
        raise ConfigError(f"stage rules {path}: {where}: 'when' must be a list of conditions")
    conditions = []
    for index, raw in enumerate(when, start=1):
        at = f"{where}, condition {index}"
        if not isinstance(raw, dict):
            raise ConfigError(f"stage rules {path}: {at}: expected {{metric, op, value}}")
        _check_keys(path, at, raw, _CONDITION_KEYS, required={"metric", "op", "value"})
        metric, op, missing = str(raw["metric"]), str(raw["op"]), str(raw.get("missing", "fail"))
        if op not in OPERATORS:
            raise ConfigError(f"stage rules {path}: {at}: unknown operator {op!r} "
                              f"(one of {', '.join(OPERATORS)})")
        if missing not in MISSING:
            raise ConfigError(f"stage rules {path}: {at}: missing must be 'fail' or 'pass', not {missing!r}")
        value = raw["value"]
        by_grain = value if isinstance(value, dict) else dict.fromkeys(grains, value)
        if isinstance(value, dict) and set(map(str, value)) != grains:
            raise ConfigError(f"stage rules {path}: {at}: a value by grain must give one for each of "
                              f"{', '.join(sorted(grains))}")
        for threshold in by_grain.values():
            if op == "in" and not isinstance(threshold, list):
                raise ConfigError(f"stage rules {path}: {at}: op 'in' needs a list value")
            if op != "in" and isinstance(threshold, (list, dict)):
                raise ConfigError(f"stage rules {path}: {at}: op {op!r} needs a single value, not {threshold!r}")
        if op == "in":
            value = ({str(k): tuple(v) for k, v in value.items()} if isinstance(value, dict) else tuple(value))
        elif isinstance(value, dict):
            value = {str(k): v for k, v in value.items()}
        conditions.append(Condition(metric, op, value, missing))
    note = entry.get("note")
    return Rule(stage=stage, conditions=tuple(conditions), note=str(note) if note is not None else None)


_METRIC_WORDS = {
    "active_members": "{v} active members",
    "retained_members": "{v} retained from the previous {grain}",
    "new_members": "{v} new members",
    "meetings_held": "{v} meetings held",
    "forum_posts": "{v} forum posts",
    "active_periods_in_window": "active in {v} of the last {window} {grain}s",
    "periods_with_meetings_in_window": "meetings held in {v} of the last {window} {grain}s",
    "functions_served": "{v} network functions served",
    "months_since_first_activity": "{v} months since its first activity",
    "structural_phase": "structure: {v}",
    "core_members": "{v} core members",
    "warning_signs": "{v} warning signs",
}


def metric_name(metric: str) -> str:
    """A metric's name in words, for thresholds quoted without values."""
    if metric in _feature_labels():
        return f"{_feature_labels()[metric]} score"
    if metric == "structural_phase":
        return "structure"
    return metric.replace("_", " ")


def describe_metric(metric: str, value: Any, metrics: dict, grain: str, window: int,
                    *, precise: bool = False) -> str:
    """A period's value of a metric in words; ``precise`` keeps a decimal that rounding would hide."""
    if is_undefined(value):
        return describe_missing(metric)
    if metric == "share_of_trailing_peak":
        share = f"{value:.1%}" if precise else f"{value:.0%}"
        return (f"{share} of its peak of {int(metrics['trailing_peak'])} active members "
                f"in the previous {window} {grain}s")
    if metric in _feature_labels():
        score = f"{float(value):.1f}" if precise else _fmt(metric, value)
        return f"{_feature_labels()[metric]} score {score} of 100"
    if metric in ("core_members", "warning_signs") and _fmt(metric, value) == "1":
        return "1 core member" if metric == "core_members" else "1 warning sign"
    if metric == "functions_served" and _fmt(metric, value) == "1":
        return "1 network function served"
    template = _METRIC_WORDS.get(metric, metric.replace("_", " ") + " {v}")
    return template.format(v=_fmt(metric, value), grain=grain, window=window)


def describe_missing(metric: str) -> str:
    """Words for a metric that has no value in a period."""
    if metric in _feature_labels():
        return f"no evidence for {_feature_labels()[metric]}"
    if metric == "share_of_trailing_peak":
        return "no earlier peak to compare with"
    if metric == "structural_phase":
        return "no structure measured"
    if metric == "functions_served":
        return "functions not measurable (no forum export: only convening can be seen)"
    return f"no value for {metric.replace('_', ' ')}"


def _describe_flag(metric: str, value: bool) -> str:
    if metric == "reached_emerging_before":
        return "has been emerging or established before" if value else "has never been emerging or established"
    return f"{metric.replace('_', ' ')}: {'yes' if value else 'no'}"


def _shown(metric: str, value: Any) -> Any:
    """The number as the words show it (scores as integers, shares as whole percents)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if metric in _feature_labels():
        return math.floor(value + 0.5)
    if metric.startswith("share"):
        return round(value * 100) / 100
    return value


def _fmt(metric: str, value: Any, *, threshold: bool = False) -> str:
    if isinstance(value, float) and metric.startswith("share"):
        return f"{value:.0%}"
    if isinstance(value, float) and metric in _feature_labels() and not threshold:
        return str(_shown(metric, value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def add_signals(periods: pd.DataFrame, rules: StageRules) -> pd.DataFrame:
    """Derived metrics the rules use, computed per network and grain in period order."""
    periods = periods.sort_values(["network_id", "grain", "period_start"]).reset_index(drop=True)
    members = periods["active_members"]
    periods["active_periods_in_window"] = trailing(periods, members.gt(0), rules.window, "sum").astype(int)
    periods["trailing_peak"] = trailing(periods, members, rules.window, "max", before=True)
    periods["periods_with_meetings_in_window"] = 0
    if "meetings_held" in periods:  # regular convening (stage-rules-3)
        meetings = pd.to_numeric(periods["meetings_held"], errors="coerce").fillna(0)
        periods["periods_with_meetings_in_window"] = trailing(periods, meetings.gt(0), rules.window,
                                                              "sum").astype(int)
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


def _target(rules: StageRules, stage: str) -> str | None:
    """The stage up from ``stage``: the next in stage_order; from dormant, emerging (revival)."""
    if stage == "dormant":
        return "emerging"  # a network that has been emerging is never pre-emergent again
    rank = rules.rank(stage)
    return rules.stage_order[rank + 1] if rank + 1 < len(rules.stage_order) else None


def _closest_rule(rules: StageRules, stage: str, metrics: dict, grain: str) -> Rule | None:
    """The rule for ``stage`` nearest to holding (fewest conditions not met; the first on ties)."""
    candidates = [rule for rule in rules.rules if rule.stage == stage and rule.conditions]
    if not candidates:
        return None
    return min(candidates, key=lambda rule: sum(not c.holds(metrics, grain) for c in rule.conditions))


def _blocking(rules: StageRules, rule: Rule, metrics: dict, grain: str) -> list[Condition]:
    """Conditions of lower stages' rules, evaluated before ``rule``, that hold and would pre-empt it.

    Dormant is evaluated before established and emerging: a network under a quarter of its
    peak is dormant whatever else holds, so its revival needs that share back up too.
    """
    blocking = []
    for earlier in rules.rules[:rules.rules.index(rule)]:
        if (earlier.conditions and rules.rank(earlier.stage) < rules.rank(rule.stage)
                and all(c.holds(metrics, grain) for c in earlier.conditions)):
            blocking += [c for c in earlier.conditions if c.metric not in FIXED_METRICS]
    return blocking


def next_stage_needs(rules: StageRules, metrics: dict, grain: str, stage: str, evidence: str) -> tuple[str, str]:
    """What the stage up from ``stage`` still needs: (with the period's values, thresholds only).

    Conditions not met come first (✗), then those met (✓). The highest stage says why it holds
    (or, when hysteresis holds it, which of its conditions no longer hold). Dormant says what
    would count as revival. The second text names thresholds only, never the period's counts,
    for outputs small numbers must not reach (funder extracts).
    """
    window = rules.window[grain]
    target = _target(rules, stage)
    if target is None:
        rule = _closest_rule(rules, stage, metrics, grain)
        if rule is None:
            return f"{stage} is the highest stage", f"{stage} is the highest stage"
        ordered = sorted(rule.conditions, key=lambda c: c.holds(metrics, grain))
        if evidence == stage:
            opening = f"{stage} is the highest stage; it holds because"
        else:
            opening = (f"{stage} is the highest stage, held while the lower evidence has not lasted "
                       f"{rules.hold_periods[grain]} {grain}s; its conditions now")
        return (f"{opening}: " + "; ".join(c.marked(metrics, grain, window) for c in ordered),
                f"{opening}: " + "; ".join(_basis_marked(c, metrics, grain) for c in ordered))
    opening = f"revival (back to {target}) needs" if stage == "dormant" else f"not {target}"
    rule = _closest_rule(rules, target, metrics, grain)
    if rule is None:
        return f"{opening}: no rule gives {target}", f"{opening}: no rule gives {target}"
    failed = [c for c in rule.conditions if not c.holds(metrics, grain)]
    held = [c for c in rule.conditions if c.holds(metrics, grain)]
    blocking = _blocking(rules, rule, metrics, grain)
    with_values = ([c.marked(metrics, grain, window) for c in failed]
                   + [c.lifted(metrics, grain, window) for c in blocking]
                   + [c.marked(metrics, grain, window) for c in held])
    thresholds = ([_basis_marked(c, metrics, grain) for c in failed]
                  + [f"{_basis_negated(c, grain)} {NOT_MET}" for c in blocking]
                  + [_basis_marked(c, metrics, grain) for c in held])
    return f"{opening}: " + "; ".join(with_values), f"{opening}: " + "; ".join(thresholds)


def _basis_marked(condition: Condition, metrics: dict, grain: str) -> str:
    return f"{condition.basis(grain)} {MET if condition.holds(metrics, grain) else NOT_MET}"


def _basis_negated(condition: Condition, grain: str) -> str:
    threshold = condition.threshold(grain)
    shown = ", ".join(str(v) for v in threshold) if condition.op == "in" else str(threshold)
    return f"{metric_name(condition.metric)} {NEGATED[condition.op]} {shown}"


def _override_for(rules: StageRules, network: str, grain: str, period_start: Any) -> StageOverride | None:
    """The last override (in file order) that covers the period, if any."""
    if not rules.overrides:
        return None
    day = pd.Timestamp(period_start).date()
    covering = [o for o in rules.overrides if o.covers(network, grain, day)]
    return covering[-1] if covering else None


def classify(periods: pd.DataFrame, rules: StageRules, *, signalled: pd.DataFrame | None = None) -> pd.DataFrame:
    """Stage and reason for every period, with hysteresis on the way down.

    Returns the input with ``evidence_stage``, ``stage``, ``stage_reason``,
    ``next_stage_needs``, ``next_stage_basis`` (see :func:`next_stage_needs`), ``stage_override``
    (who set the stage by hand, when and why; None when the rules gave it) and
    ``stage_rules_version`` added (no rows in, no rows out). A stage set by hand replaces the
    rules' stage and hysteresis continues from it. ``signalled``: the periods with
    :func:`add_signals` already added for rules of the same windows (they depend on nothing else).
    """
    token = _LABELS.set({f.column: f.label for f in active_key_features().features})
    try:
        return _classify(periods, rules, signalled)
    finally:
        _LABELS.reset(token)


def _classify(periods: pd.DataFrame, rules: StageRules, signalled: pd.DataFrame | None = None) -> pd.DataFrame:
    if periods.empty:
        return periods.reset_index(drop=True).assign(
            **{c: pd.Series(dtype=object) for c in ("evidence_stage", "stage", "stage_reason", "next_stage_needs",
                                                    "next_stage_basis", "stage_override", "stage_rules_version")})
    periods = add_signals(periods, rules) if signalled is None else signalled.copy()
    evidence_stages, stages, reasons, needs, bases, overridden = [], [], [], [], [], []
    records = periods.to_dict("records")  # add_signals sorted them by network, grain and period
    for lo, hi, grain in network_runs(periods):
        hold = rules.hold_periods[grain]
        current, pending, reached_emerging = None, 0, False
        for metrics in records[lo:hi]:
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
            override = _override_for(rules, metrics["network_id"], grain, metrics["period_start"])
            if override is not None and override.stage in rules.stage_order:
                reason = f"{override.stage}: {override.words()} (the rules give {reason})"
                stage, pending = override.stage, 0
            current = stage
            reached_emerging = reached_emerging or rules.rank(stage) >= rules.rank("emerging")
            evidence_stages.append(evidence)
            stages.append(stage)
            reasons.append(reason)
            overridden.append(override.words() if override is not None else None)
            with_values, thresholds = next_stage_needs(rules, metrics, grain, stage, evidence)
            needs.append(with_values)
            bases.append(thresholds)
    periods["evidence_stage"] = evidence_stages
    periods["stage"] = stages
    periods["stage_reason"] = reasons
    periods["next_stage_needs"] = needs
    periods["next_stage_basis"] = bases
    periods["stage_override"] = overridden
    periods["stage_rules_version"] = rules.version
    return periods


def classify_versions(periods: pd.DataFrame, rule_sets: list[StageRules], current_version: str) -> pd.DataFrame:
    """The same periods classified with every rules version, one block of rows per version.

    Adds ``is_current_rules`` (true for the rows of ``current_version``). This is how a new
    version covers all history: every build classifies every period with every version.
    """
    versions = [rules.version for rules in rule_sets]
    if len(set(versions)) != len(versions):
        raise ConfigError(f"stage rules: each version must be given once, not {versions}")
    if current_version not in versions:
        raise ConfigError(f"stage rules: the current version {current_version!r} is not among {versions}")
    signalled: dict[tuple, pd.DataFrame] = {}  # the signals depend on the windows only: once per windows
    frames = []
    for rules in rule_sets:
        windows = tuple(sorted(rules.window.items()))
        if windows not in signalled and not periods.empty:
            signalled[windows] = add_signals(periods, rules)
        frames.append(classify(periods, rules, signalled=signalled.get(windows))
                      .assign(is_current_rules=rules.version == current_version))
    return pd.concat(frames, ignore_index=True)
