"""Quarterly indicator extracts for funders: one CSV per network and quarter.

Funders see aggregates only, with small numbers suppressed by the rule the funder pack uses
(netpulse.outputs.disclosure: one reading of the networks file's ``suppression:`` section). The
stage is explained by the rule's thresholds, never by the period's own small counts.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from netpulse.config.key_features import feature_columns
from netpulse.config.settings import Settings
from netpulse.errors import NetpulseError
from netpulse.files import write_whole
from netpulse.measures.stages import StageRules, current_rules, load_rule_sets, load_stage_rules
from netpulse.outputs.disclosure import SCORE_BASE, load_suppression
from netpulse.safe_text import inert_row
from netpulse.store.warehouse import open_warehouse

COUNT_COLUMNS = ("active_members", "new_members", "retained_members", "meetings_held",
                 "attendances", "forum_posts", "forum_replies", "survey_responses")


def stage_basis(stage: str, grain: str, rules: StageRules | None = None, version: str | None = None,
                rule_sets: list[StageRules] | None = None) -> str:
    """The thresholds of the rule for a stage, in words, without any of the period's values.

    ``version`` is the rules version the period was classified with: the stage is explained
    with that version's thresholds (every version is kept in ``config/stage_rules/``), never
    with thresholds it was not classified by. Only a version no longer found is named as such.
    ``rule_sets`` are the versions to look in (read from the folder when not given).
    """
    if version is not None and (rules is None or version != rules.version):
        by_version = {r.version: r for r in (rule_sets if rule_sets is not None else load_rule_sets())}
        if version in by_version:
            rules = by_version[version]
        else:
            current = rules or load_stage_rules()
            return f"classified by stage rules {version} (not the current {current.version})"
    rules = rules or load_stage_rules()
    for rule in rules.rules:
        if rule.stage == stage:
            if not rule.conditions:
                return rule.note or stage
            return "; ".join(c.basis(grain) for c in rule.conditions)
    return stage


def write_quarter_extracts(settings: Settings, *, as_of: date, build_id: str | None = None) -> list[Path]:
    """For each network, write its latest quarter that ended before ``as_of``.

    With ``build_id``, the figures are those that build published (from the history
    tables: each network's rows from the latest build up to that one that built it), so an
    extract sent to a funder can be reproduced exactly after late data, identity merges or a
    new methodology; the file name then carries the build id.
    """
    suppression = load_suppression(settings.network_config)
    rule_sets = load_rule_sets()  # once: rows from history may each name an earlier version
    rules = current_rules(rule_sets)
    source = "indicators.network_period_history" if build_id else "indicators.network_period"
    signs_source = "indicators.warning_signs_history" if build_id else "indicators.warning_signs"
    with open_warehouse(settings, read_only=True) as con:
        if build_id and not con.execute("select count(*) from meta.builds where build_id = ? and status = 'succeeded'",
                                        [build_id]).fetchone()[0]:
            raise NetpulseError(f"no successful build {build_id!r}: `netpulse status` shows the last build")
        rows = con.execute(
            f"""
            select p.*, n.name as network_name,
                   (p.period_start + interval 3 month - interval 1 day)::date as period_end
            from {source} as p
            inner join meta.networks as n using (network_id)
            where p.grain = 'quarter' and p.period_start + interval 3 month <= ?
                and (? is null or (p.network_id, p.build_id) in (
                    select (network_id, build_id) from meta.network_builds_as_of(?)))
            qualify p.period_start = max(p.period_start) over (partition by p.network_id)
            order by p.network_id
            """,
            [as_of, build_id, build_id],
        ).df()
        signs = _warning_signs(con, signs_source, build_id)
        next_stages = _next_stage_bases(con, "indicators.network_stages_history" if build_id
                                        else "indicators.network_stages")
    written = []
    for row in rows.to_dict("records"):
        folder = settings.extracts / row["network_id"]
        folder.mkdir(parents=True, exist_ok=True)
        suffix = f"_build-{build_id}" if build_id else ""
        path = folder / f"{row['network_id']}_quarter_{row['period_start']:%Y-%m-%d}{suffix}.csv"
        next_stage = next_stages.get(
            (row["network_id"], f"{row['period_start']:%Y-%m-%d}", row["stage_rules_version"], row["build_id"]),
            ("", ""))
        record = {
            "network_id": row["network_id"],
            "network_name": row["network_name"],
            "quarter_start": f"{row['period_start']:%Y-%m-%d}",
            "quarter_end": f"{row['period_end']:%Y-%m-%d}",
            "stage": row["stage"],
            "stage_held_by_hysteresis": row["stage"] != row["evidence_stage"] and not next_stage[1],
            "stage_basis": stage_basis(row["stage"], "quarter", rules, row["stage_rules_version"], rule_sets),
            "stage_set_by_hand": next_stage[1],
            "next_stage_basis": next_stage[0],
            **{c: suppression.count_text(c, row[c]) for c in COUNT_COLUMNS},
            **{c: suppression.score_text(row.get(c), row[SCORE_BASE]) for c in feature_columns()},
            "warning_signs": signs.get((row["network_id"], f"{row['period_start']:%Y-%m-%d}"), ""),
            "suppression": suppression.describe(),
            "methodology_version": row["methodology_version"],
            "stage_rules_version": row["stage_rules_version"],
            "key_features_version": row.get("key_features_version"),
            "build_id": row["build_id"],
        }
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(inert_row(record))  # a network named =HYPERLINK(...) stays text
        writer.writerow(inert_row(record.values()))
        write_whole(path, text.getvalue().encode("utf-8"))  # never leave a half-written extract
        written.append(path)
    return written


def _warning_signs(con, table: str, build_id: str | None) -> dict:
    """The warning signs of each network's quarters, in words: sign (severity, periods held)."""
    exists = con.execute("select count(*) from information_schema.tables where table_schema || '.' || table_name = ?",
                         [table]).fetchone()[0]
    if not exists:  # a build from before warning signs existed
        return {}
    rows = con.execute(
        f"select network_id, period_start, warning_sign, severity, periods_held from {table} "
        "where grain = 'quarter' and (? is null or (network_id, build_id) in ("
        "select (network_id, build_id) from meta.network_builds_as_of(?))) order by warning_sign",
        [build_id, build_id]).fetchall()
    signs: dict = {}
    for network_id, period_start, sign, severity, held in rows:
        text = f"{sign.replace('_', ' ')} ({severity}, {held} quarter{'s' if held > 1 else ''})"
        signs.setdefault((network_id, f"{period_start:%Y-%m-%d}"), []).append(text)
    return {key: "; ".join(texts) for key, texts in signs.items()}


def _next_stage_bases(con, table: str) -> dict:
    """(what the stage up still needs in thresholds only, who set the stage by hand and why), by
    network, quarter, version and build. Blank for a build from before the columns existed.
    """
    has_column = con.execute(
        "select count(*) from information_schema.columns where table_schema || '.' || table_name = ? "
        "and column_name = 'next_stage_basis'", [table]).fetchone()[0]
    if not has_column:
        return {}
    rows = con.execute(f"select network_id, period_start, stage_rules_version, build_id, next_stage_basis, "
                       f"stage_override from {table} where grain = 'quarter'").fetchall()
    return {(n, f"{p:%Y-%m-%d}", v, b): (text or "", override or "") for n, p, v, b, text, override in rows}
