"""Validity timeline of a calibration collection (matplotlib, no display needed).

One row per calibration key (dataset type + data ID), one bar per certification, coloured
by dataset and labelled with the dataset's short id (or its RUN). Gaps between
certifications are left blank. An unbounded side runs to the edge of the plot and ends in
a triangle pointing outwards. The figure grows with the number of rows, and row height and
font size shrink (down to a readable minimum) so hundreds of data IDs stay legible; the
time axis is repeated at the top when the figure is tall.

    fig = timeline(reg.certifications("Cam/calib"), title="Cam/calib")
    fig.savefig("timeline.png")           # or write_timeline(certs, "timeline.svg")

Built on :class:`matplotlib.figure.Figure` directly (Agg canvas, no pyplot global state).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from matplotlib import dates as mdates
from matplotlib import transforms
from matplotlib.figure import Figure

from .types import Certification

#: Figure width in inches.
WIDTH = 13.0
#: Bar height as a fraction of a row.
BAR = 0.72


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


def _bounds(certs: Sequence[Certification]) -> tuple[datetime, datetime]:
    """The time range shown: every finite bound, with room on a side where bars are
    unbounded (so open-ended validity is visible as a long bar)."""
    finite = [t for c in certs for t in (c.timespan.begin, c.timespan.end) if t is not None]
    if not finite:
        now = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        return now - timedelta(days=30), now + timedelta(days=30)
    lo, hi = min(finite), max(finite)
    span = max(hi - lo, timedelta(days=1))
    open_lo = any(c.timespan.begin is None for c in certs)
    open_hi = any(c.timespan.end is None for c in certs)
    return lo - span * (0.15 if open_lo else 0.03), hi + span * (0.15 if open_hi else 0.03)


def timeline(certs: Sequence[Certification], *, title: str | None = None,
             label: str = "id") -> Figure:
    """A timeline Figure for ``certs`` (e.g. ``reg.certifications(collection)``).

    ``label`` is ``"id"`` (first 8 hex digits of the dataset id) or ``"run"``. Each bar is
    a Rectangle with gid ``cert-<n>``; arrows marking unbounded ends have gid
    ``open-<n>``.
    """
    if label not in ("id", "run"):
        raise ValueError(f"label must be 'id' or 'run', not {label!r}")
    keyed: dict[tuple[str, str], list[Certification]] = {}
    for c in certs:
        key = (c.ref.dataset_type, json.dumps(c.ref.data_id, sort_keys=True))
        keyed.setdefault(key, []).append(c)
    keys = sorted(keyed, key=_key_order)
    labels, common = _row_labels(keys)
    n = max(len(keys), 1)
    row_h, font = _layout(n)
    height = n * row_h + 1.8
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    ax = fig.add_subplot()
    lo, hi = _bounds(certs)
    x_lo, x_hi = mdates.date2num(lo), mdates.date2num(hi)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(n - 0.5, -0.5)  # first row at the top
    colours = _colours(keys, keyed)
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
            (rect,) = ax.barh(y, e - b, left=b, height=BAR, color=colours[c.ref.id],
                              edgecolor="white", linewidth=0.6, zorder=2).patches
            rect.set_gid(f"cert-{bar_no}")
            for side, x, marker in (("begin", -0.004, "<"), ("end", 1.004, ">")):
                if getattr(c.timespan, side) is None:  # just outside the frame
                    (m,) = ax.plot([x], [y], marker=marker, color=colours[c.ref.id],
                                   markersize=font * 0.9, clip_on=False, zorder=3,
                                   transform=edge, markeredgecolor="black",
                                   markeredgewidth=0.5)
                    m.set_gid(f"open-{bar_no}")
            text = str(c.ref.id)[:8] if label == "id" else c.ref.run
            if (e - b) * px_per_day > len(text) * font * 0.62:
                ax.text((b + e) / 2, y, text, ha="center", va="center", fontsize=font * 0.85,
                        color="black", clip_on=True, zorder=4, family="monospace")
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
    heading = title or "calibration validity"
    sub = f"{len(certs)} certifications, {len(keys)} data IDs" + (f" — {common}" if common else "")
    ax.set_title(f"{heading}\n{sub}", fontsize=font + 2, loc="left")
    ax.set_xlabel("time (UTC); ◀ ▶ = unbounded", fontsize=font)
    if not certs:
        ax.text(0.5, 0.5, "no certifications", transform=ax.transAxes, ha="center",
                va="center", fontsize=12, color="grey")
        ax.set_yticks([])
    return fig


def _colours(keys: Sequence[tuple[str, str]],
             keyed: dict[tuple[str, str], list[Certification]]) -> dict[Any, Any]:
    """A colour per dataset, in order of first appearance (tab20, then repeating)."""
    from matplotlib import colormaps

    palette = colormaps["tab20"].colors
    out: dict[Any, Any] = {}
    for key in keys:
        for c in sorted(keyed[key], key=lambda c: str(c.timespan)):
            if c.ref.id not in out:
                out[c.ref.id] = palette[(len(out) * 2 + (len(out) // 10) % 2) % 20]
    return out


def write_timeline(certs: Sequence[Certification], path: str | Path, *,
                   title: str | None = None, label: str = "id", dpi: int = 110) -> Figure:
    """Draw the timeline and write it to ``path`` (format from the suffix: .png, .svg, .pdf).
    The file's own title metadata (PDF info, SVG ``dc:title``, PNG text) is the plot's
    title."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise ValueError(f"plot file {str(path)!r} must end in .png, .svg or .pdf")
    fig = timeline(certs, title=title, label=label)
    fig.savefig(path, format=suffix, dpi=dpi,
                metadata={"Title": title or "calibration validity"})
    return fig
