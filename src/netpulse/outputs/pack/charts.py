"""Charts of the funder pack: matplotlib figures, written as SVG (inline in HTML) and into the PDF.

Deterministic output: a fixed hash salt for SVG ids, no dates in the metadata, text drawn as
paths in DejaVu Sans (shipped with matplotlib), so the same figures give the same bytes and the
HTML asks for no font. Readable in black and white: every series has its own marker and line
style, bars their own hatching; colour only repeats what the shape says.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")  # no display: charts are files

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

STYLE = {
    "svg.hashsalt": "netpulse-pack",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "path.simplify": False,
}
# Shapes first, colours second (colour-blind safe palette, Okabe-Ito).
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1)), (0, (6, 2)))
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
HATCHES = ("//", "..", "xx", "\\\\", "oo", "--")
STAGES = ("dormant", "pre-emergent", "emerging", "established")


def figure(width: float, height: float) -> Figure:
    with plt.rc_context(STYLE):
        return Figure(figsize=(width, height), dpi=100)


def svg(fig: Figure, label: str) -> str:
    """The figure as an inline SVG element (no XML prologue), with an accessible label."""
    buffer = io.StringIO()
    with plt.rc_context(STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    return text.replace("<svg ", f'<svg role="img" aria-label="{_escape(label)}" ', 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def line_chart(title: str, ylabel: str, quarters: list[str], series: dict[str, list], *,
               ymax: float | None = None, note: str | None = None, width: float = 6.4, height: float = 2.6) -> Figure:
    """Lines over quarters; ``None`` is a gap (hidden or no evidence)."""
    with plt.rc_context(STYLE):
        fig = figure(width, height)
        ax = fig.add_subplot()
        x = list(range(len(quarters)))
        for i, (name, values) in enumerate(series.items()):
            ys = [math.nan if v is None else float(v) for v in values]
            ax.plot(x, ys, label=name, marker=MARKERS[i % len(MARKERS)], linestyle=LINESTYLES[i % len(LINESTYLES)],
                    color=COLOURS[i % len(COLOURS)], linewidth=1.6, markersize=5)
        ax.set_title(title, loc="left")
        ax.set_ylabel(ylabel)
        ax.set_xlabel("quarter")
        ax.set_xticks(x, quarters, rotation=0, fontsize=7.5)
        ax.set_ylim(bottom=0, top=ymax)
        if len(series) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        if note:
            fig.text(0.01, -0.02, note, fontsize=7, color="#444444", ha="left", va="top")
        return fig


def feature_bars(title: str, names: list[str], now: list, before: list, now_label: str, before_label: str,
                 width: float = 6.4, height: float = 2.9) -> Figure:
    """The six key features this quarter against the previous one (hatched, so B/W works)."""
    with plt.rc_context(STYLE):
        fig = figure(width, height)
        ax = fig.add_subplot()
        y = list(range(len(names)))
        bar = 0.38
        nows = [0 if v is None else v for v in now]
        befores = [0 if v is None else v for v in before]
        ax.barh([i - bar / 2 for i in y], nows, height=bar, label=now_label, color="#0072B2", edgecolor="black",
                linewidth=0.6)
        ax.barh([i + bar / 2 for i in y], befores, height=bar, label=before_label, color="white",
                edgecolor="black", hatch="////", linewidth=0.6)
        for i, (a, b) in enumerate(zip(now, before, strict=True)):
            ax.text((a or 0) + 1, i - bar / 2, "no evidence / hidden" if a is None else f"{a:.0f}",
                    va="center", fontsize=7)
            ax.text((b or 0) + 1, i + bar / 2, "no evidence / hidden" if b is None else f"{b:.0f}",
                    va="center", fontsize=7, color="#444444")
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, 112)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("score (0-100; higher is stronger)")
        ax.set_title(title, loc="left")
        ax.legend(loc="lower right", fontsize=7.5, frameon=True)
        return fig


def stage_timeline(title: str, quarters: list[str], stages: list[str | None], width: float = 6.4,
                   height: float = 2.2) -> Figure:
    with plt.rc_context(STYLE):
        fig = figure(width, height)
        ax = fig.add_subplot()
        x = list(range(len(quarters)))
        levels = [math.nan if s not in STAGES else STAGES.index(s) for s in stages]
        ax.step(x, levels, where="mid", color="#444444", linewidth=1.2)
        for i, level in enumerate(levels):
            if level == level:
                ax.plot([i], [level], marker=MARKERS[int(level)], color=COLOURS[int(level)], markersize=8,
                        markeredgecolor="black", linestyle="none")
        for i in range(1, len(levels)):
            if levels[i] == levels[i] and levels[i - 1] == levels[i - 1] and levels[i] != levels[i - 1]:
                ax.annotate("changed", (i, levels[i]), textcoords="offset points", xytext=(0, 9), ha="center",
                            fontsize=7)
        ax.set_yticks(range(len(STAGES)), STAGES)
        ax.set_ylim(-0.5, len(STAGES) - 0.3)
        ax.set_xticks(x, quarters, fontsize=7.5)
        ax.set_xlabel("quarter")
        ax.set_ylabel("stage")
        ax.set_title(title, loc="left")
        return fig


def sparkline(values: list, label: str) -> str:
    """A small trend line for the overview table (its numbers are in the table's title text)."""
    with plt.rc_context(STYLE):
        fig = figure(1.5, 0.42)
        ax = fig.add_axes((0.02, 0.1, 0.96, 0.8))
        ys = [math.nan if v is None else float(v) for v in values]
        ax.plot(range(len(ys)), ys, color="#222222", linewidth=1.2, marker="o", markersize=2)
        finite = [(i, y) for i, y in enumerate(ys) if y == y]
        if finite:
            ax.plot([finite[-1][0]], [finite[-1][1]], marker="o", markersize=4, color="#D55E00")
        ax.set_axis_off()
        ax.set_ylim(bottom=0, top=max([y for _, y in finite] + [1]) * 1.15)
        ax.set_xlim(-0.3, max(len(ys) - 0.7, 0.7))
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    return text.replace("<svg ", f'<svg role="img" aria-label="{_escape(label)}" ', 1)


def network_picture(title: str, positions: dict, edges: list, groups: dict, group_names: list[str],
                    width: float = 6.4, height: float = 4.2) -> Figure:
    """Members as unnamed dots, ties as lines; groups (organisations) as marker and colour."""
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig = figure(width, height)
        ax = fig.add_subplot()
        for a, b, w in edges:
            (x1, y1), (x2, y2) = positions[a], positions[b]
            ax.plot([x1, x2], [y1, y2], color="#999999", linewidth=0.3 + min(w, 3) * 0.4, alpha=0.6, zorder=1)
        for i, name in enumerate(group_names):
            nodes = sorted(n for n, g in groups.items() if g == name)
            if not nodes:
                continue
            other = name.startswith("other")
            ax.scatter([positions[n][0] for n in nodes], [positions[n][1] for n in nodes],
                       marker="o" if other else MARKERS[(i + 1) % len(MARKERS)], s=28,
                       c="#bbbbbb" if other else COLOURS[i % len(COLOURS)], edgecolors="black", linewidths=0.5,
                       label=name, zorder=2)  # no count: it would be an exact count of people
        ax.set_title(title, loc="left")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("each dot is a member (unnamed); each line, members who met or replied to each other")
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7.5,
                  title="organisation", title_fontsize=8)
        return fig
