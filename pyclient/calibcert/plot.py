"""Validity timeline of a calibration collection (matplotlib, no display needed).

One row per calibration key (dataset type + data ID), one bar per interval in which lookups
answer with one dataset: for a CALIBRATION collection its certifications, for a CHAINED one
what ``find`` answers through the chain (:mod:`calibcert.lookup_view`: which member answers
when, RUN and TAGGED members for all time). Bars are coloured by the RUN the dataset came
from (legend: RUN -> colour; a palette of 20 colours, repeating after 20 RUNs, as the legend
says) and, for a chain, hatched by the member that answers (legend: the search order).
Labels say the dataset's short id, its RUN or the answering member. Times no member
answers are left blank. An unbounded side runs to the edge of the plot and ends in
a triangle pointing outwards. The figure grows with the number of rows, and row height and
font size shrink (down to a readable minimum) so hundreds of data IDs stay legible; the
time axis is repeated at the top when the figure is tall.

    from calibcert.lookup_view import lookup_view

    fig = timeline(lookup_view(reg, "Cam/defaults"), title="Cam/defaults")
    fig.savefig("timeline.png")           # or write_timeline(view, "timeline.svg")

``timeline`` also takes a plain list of certifications (``reg.certifications(name)``),
drawn as given.

Built on :class:`matplotlib.figure.Figure` directly (Agg canvas, no pyplot global state).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from matplotlib import dates as mdates
from matplotlib import transforms
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .lookup_view import Answer, LookupView, Member, key_of
from .types import Certification, CollectionType

#: Figure width in inches.
WIDTH = 13.0
#: Bar height as a fraction of a row.
BAR = 0.72
#: Bar labels: the dataset's short id, its RUN, or the member that answers.
LABELS = ("id", "run", "member")
#: Hatches of a chain's members, in search order (the first plain), repeating after 10.
HATCHES = ("", "//", "..", "\\\\", "xx", "oo", "--", "||", "++", "**")
#: Hatch lines: dark and translucent, visible on every palette colour.
HATCH_COLOUR = (0.0, 0.0, 0.0, 0.45)


def _natural(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int) else (1, str(value))


def _key_order(key: tuple[str, str]) -> tuple[Any, ...]:
    dtype, data_id = key
    d = json.loads(data_id)
    return (dtype, tuple((k, _natural(d[k])) for k in sorted(d)))


def _row_labels(keys: Sequence[tuple[str, str]]) -> tuple[list[str], str]:
    """Short row labels, leaving out what every row shares (said once in the subtitle)."""
    dicts = [json.loads(d) for _, d in keys]
    types = {t for t, _ in keys}
    shared: dict[str, Any] = {}
    if dicts:
        for k, v in dicts[0].items():
            if all(d.get(k, object()) == v for d in dicts):
                shared[k] = v
    labels = []
    for (dtype, _), d in zip(keys, dicts, strict=True):
        parts = [f"{k}={v}" for k, v in sorted(d.items()) if k not in shared]
        if len(types) > 1:
            parts.insert(0, dtype)
        labels.append(" ".join(parts) or dtype)
    common = ([next(iter(types))] if len(types) == 1 else []) + [
        f"{k}={v}" for k, v in sorted(shared.items())]
    return labels, " ".join(common)


def _layout(n_rows: int) -> tuple[float, float]:
    """(row height in inches, font size in points) for ``n_rows`` rows."""
    if n_rows <= 25:
        return 0.34, 9.0
    if n_rows <= 80:
        return 0.24, 8.0
    if n_rows <= 250:
        return 0.17, 7.0
    return 0.14, 6.0


def _bounds(spans: Sequence[Answer]) -> tuple[datetime, datetime]:
    """The time range shown: every finite bound, with room on a side where bars are
    unbounded (so open-ended validity is visible as a long bar)."""
    finite = [t for c in spans for t in (c.timespan.begin, c.timespan.end) if t is not None]
    if not finite:
        now = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        return now - timedelta(days=30), now + timedelta(days=30)
    lo, hi = min(finite), max(finite)
    span = max(hi - lo, timedelta(days=1))
    open_lo = any(c.timespan.begin is None for c in spans)
    open_hi = any(c.timespan.end is None for c in spans)
    return lo - span * (0.15 if open_lo else 0.03), hi + span * (0.15 if open_hi else 0.03)


def as_view(source: LookupView | Sequence[Certification]) -> LookupView:
    """``source`` as a :class:`LookupView`: a list of certifications is drawn as given, its
    collections (in order of first appearance) as the members."""
    if isinstance(source, LookupView):
        return source
    certs = list(source)
    names = list(dict.fromkeys(c.collection for c in certs))
    return LookupView(names[0] if len(names) == 1 else "", CollectionType.CALIBRATION,
                      tuple(Member(n, CollectionType.CALIBRATION) for n in names),
                      tuple(Answer(c.ref, c.timespan, c.collection) for c in certs), len(certs))


def run_colours(runs: Sequence[str]) -> dict[str, Any]:
    """A colour per RUN, by name: tab20's ten dark colours, then its ten light ones, then
    again from the start (the legend says so when that happens)."""
    from matplotlib import colormaps

    palette = colormaps["tab20"].colors
    return {run: palette[(i * 2 + (i // 10) % 2) % 20] for i, run in enumerate(sorted(runs))}


def member_hatches(members: Sequence[Member]) -> dict[str, str]:
    """A hatch per member of the search path, in search order (repeating after 10)."""
    return {m.name: HATCHES[i % len(HATCHES)] for i, m in enumerate(members)}


def timeline(source: LookupView | Sequence[Certification], *, title: str | None = None,
             label: str = "id") -> Figure:
    """A timeline Figure for ``source``: a :func:`calibcert.lookup_view.lookup_view` (what
    lookups answer, the way to draw a chain) or certifications (``reg.certifications``).

    ``label`` is ``"id"`` (first 8 hex digits of the dataset id), ``"run"`` or
    ``"member"``. Each bar is a Rectangle with gid ``cert-<n>``; arrows marking unbounded
    ends have gid ``open-<n>``. The figure's legends: RUN -> colour (``fig.legends[0]``)
    and, for a chain (or certifications of several collections), member -> hatch in search
    order (``fig.legends[1]``).
    """
    if label not in LABELS:
        raise ValueError(f"label must be one of {', '.join(map(repr, LABELS))}, not {label!r}")
    view = as_view(source)
    spans = view.answers
    keyed: dict[tuple[str, str], list[Answer]] = {}
    for c in spans:
        keyed.setdefault(key_of(c.ref.dataset_type, c.ref.data_id), []).append(c)
    keys = sorted(keyed, key=_key_order)
    labels, common = _row_labels(keys)
    n = max(len(keys), 1)
    row_h, font = _layout(n)
    colours = run_colours(sorted({c.ref.run for c in spans}))
    hatched = view.type is CollectionType.CHAINED or len(view.members) > 1
    hatches = member_hatches(view.members) if hatched else {}
    # The legends get a strip of their own below the plot, as tall as their lines.
    lines = _legend_lines(len(colours), len(view.members) if hatched else 0)
    legend_h = lines * font * 1.85 / 72
    plot_h = n * row_h + 1.8
    fig = Figure(figsize=(WIDTH, plot_h + legend_h + 0.1), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[plot_h, legend_h + 0.1])
    ax = fig.add_subplot(grid[0])
    strip = fig.add_subplot(grid[1])
    strip.axis("off")
    lo, hi = _bounds(spans)
    x_lo, x_hi = mdates.date2num(lo), mdates.date2num(hi)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(n - 0.5, -0.5)  # first row at the top
    edge = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    px_per_day = (WIDTH - 2.5) * 72 / max(x_hi - x_lo, 1e-9)  # rough: label widths in points

    bar_no = 0
    for y, key in enumerate(keys):
        if y % 2:
            ax.axhspan(y - 0.5, y + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
        for c in sorted(keyed[key], key=lambda c: (c.timespan.begin is not None,
                                                   c.timespan.begin or lo)):
            b = x_lo if c.timespan.begin is None else mdates.date2num(c.timespan.begin)
            e = x_hi if c.timespan.end is None else mdates.date2num(c.timespan.end)
            colour = colours[c.ref.run]
            (rect,) = ax.barh(y, e - b, left=b, height=BAR, color=colour,
                              edgecolor="white", linewidth=0.6, zorder=2,
                              hatch=hatches.get(c.member) or None,
                              hatchcolor=HATCH_COLOUR).patches
            rect.set_gid(f"cert-{bar_no}")
            for side, x, marker in (("begin", -0.004, "<"), ("end", 1.004, ">")):
                if getattr(c.timespan, side) is None:  # just outside the frame
                    (m,) = ax.plot([x], [y], marker=marker, color=colour,
                                   markersize=font * 0.9, clip_on=False, zorder=3,
                                   transform=edge, markeredgecolor="black",
                                   markeredgewidth=0.5)
                    m.set_gid(f"open-{bar_no}")
            text = {"id": str(c.ref.id)[:8], "run": c.ref.run, "member": c.member}[label]
            if (e - b) * px_per_day > len(text) * font * 0.62:
                ax.text((b + e) / 2, y, text, ha="center", va="center", fontsize=font * 0.85,
                        color="black", clip_on=True, zorder=4, family="monospace",
                        bbox={"facecolor": "white", "alpha": 0.6, "linewidth": 0,
                              "pad": 0.6} if hatched else None)
            bar_no += 1

    ax.set_yticks(range(len(keys)), labels, fontsize=font)
    ax.tick_params(axis="y", pad=font * 0.9, length=0)  # room for the ◀ markers
    ax.tick_params(axis="x", labelsize=font)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="x", color="#bbbbbb", linewidth=0.5, zorder=1)
    ax.set_axisbelow(True)
    if len(keys) > 40:  # tall figure: time axis on top as well
        ax.tick_params(axis="x", labeltop=True, top=True)
    heading = title or view.collection or "calibration validity"
    ax.set_title(f"{heading}\n{_subtitle(view, len(keys), common)}", fontsize=font + 2,
                 loc="left")
    ax.set_xlabel("time (UTC); ◀ ▶ = unbounded" + ("; blank = lookups find nothing"
                                                   if hatched else ""), fontsize=font)
    if not spans:
        empty = ("lookups find nothing" if view.type is CollectionType.CHAINED
                 else "no certifications")
        ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center",
                va="center", fontsize=12, color="grey")
        ax.set_yticks([])
    _legends(fig, strip, view, colours, hatches, font)
    return fig


def _subtitle(view: LookupView, n_keys: int, common: str) -> str:
    if view.type is CollectionType.CHAINED:
        answering = len({a.member for a in view.answers})
        what = (f"as lookups see it: {len(view.answers)} intervals answered by {answering}"
                f" of {len(view.members)} members, {n_keys} data IDs")
    else:  # certifications drawn as given (of several collections: hatched by collection)
        what = f"{len(view.answers)} certifications, {n_keys} data IDs" + (
            f", {len(view.members)} collections" if len(view.members) > 1 else "")
    return what + (f" — {common}" if common else "")


def _legend_columns(n: int, half: bool) -> int:
    return max(1, min(2 if half else 4, math.ceil(n / 8)))


def _legend_lines(n_runs: int, n_members: int) -> int:
    """Text lines of the taller legend (titles included): they stand side by side."""
    runs = math.ceil(n_runs / _legend_columns(n_runs, n_members > 0)) + 1 if n_runs else 0
    return max(runs, n_members + 1 if n_members else 0)


def _legends(fig: Figure, strip: Any, view: LookupView, colours: dict[str, Any],
             hatches: dict[str, str], font: float) -> None:
    """In the strip below the plot: RUN -> colour (``fig.legends[0]``), and for a chain
    member -> hatch in search order (``fig.legends[1]``) on the left, the RUNs then taking
    the right half."""
    style = {"fontsize": font, "title_fontsize": font, "alignment": "left", "frameon": False,
             "loc": "upper left", "bbox_transform": strip.transAxes, "borderaxespad": 0.0,
             "handlelength": 2.4, "handleheight": 1.1}
    if colours:
        title = "RUN of the dataset"
        if len(colours) > 20:
            title += (f" ({len(colours)} RUNs, 20 colours: colours repeat; label the bars by"
                      " RUN to tell them apart)")
        handles = [Patch(facecolor=c, edgecolor="white", label=r) for r, c in colours.items()]
        fig.legend(handles=handles, ncols=_legend_columns(len(handles), bool(hatches)),
                   title=title, bbox_to_anchor=(0.5 if hatches else 0.0, 1.0), **style)
    if hatches:
        answering = {a.member for a in view.answers}
        handles = []
        for i, m in enumerate(view.members):
            note = "" if m.name in answering else " — answers nothing (hidden)"
            handles.append(Patch(facecolor="#dddddd", edgecolor="white", hatch=hatches[m.name],
                                 hatchcolor=HATCH_COLOUR,
                                 label=f"{i + 1}. {m.name} ({m.type.value}){note}"))
        heading = ("answering member, in search order" if view.type is CollectionType.CHAINED
                   else "collection")
        fig.legend(handles=handles, ncols=1, bbox_to_anchor=(0.0, 1.0),
                   title=heading + (
                       " (hatches repeat after 10)" if len(handles) > len(HATCHES) else ""),
                   **style)


def write_timeline(source: LookupView | Sequence[Certification], path: str | Path, *,
                   title: str | None = None, label: str = "id", dpi: int = 110) -> Figure:
    """Draw the timeline and write it to ``path`` (format from the suffix: .png, .svg, .pdf).
    The file's own title metadata (PDF info, SVG ``dc:title``, PNG text) is the plot's
    title."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise ValueError(f"plot file {str(path)!r} must end in .png, .svg or .pdf")
    fig = timeline(source, title=title, label=label)
    fig.savefig(path, format=suffix, dpi=dpi,
                metadata={"Title": title or "calibration validity"})
    return fig
