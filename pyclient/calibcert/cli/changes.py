"""``--dry-run``: run an operation for real inside a transaction, see what it changed, and
roll it back.

A :class:`Snapshot` records the state an operation can touch (the collection list, dataset
types, and for the collections in scope: certifications, tags, chain children, RUN
contents). Inside one ``reg.transaction()`` a snapshot is taken, the operation runs, a
second snapshot is taken, and a private exception then rolls everything back. :func:`diff`
turns the two snapshots into change rows: certifications ``added`` / ``closed`` (an
unbounded end given an end) / ``shortened`` / ``split`` / ``removed``, and the same
``added`` / ``removed`` / ``changed`` for collections, dataset types, datasets, tags and
chains, and ``changed`` for a collection's state and writer list. Because the real code
path runs, the preview is exact, conflicts included.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..registry import Registry
from ..types import CollectionType, Timespan
from .common import emit, iso, message, show_data_id, show_id, show_span

T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """A certification, tag or dataset membership as a hashable value."""

    collection: str
    dataset_type: str
    data_id: str  # canonical JSON
    dataset: str
    run: str
    timespan: Timespan | None = None


@dataclass
class Snapshot:
    collections: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    dataset_types: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)
    chains: dict[str, list[str]] = field(default_factory=dict)
    certifications: set[Row] = field(default_factory=set)
    tags: set[Row] = field(default_factory=set)
    datasets: set[Row] = field(default_factory=set)
    #: collection -> (state, writers as text: "" for no writer list)
    states: dict[str, tuple[str, str]] = field(default_factory=dict)


def snapshot(reg: Registry, scope: Iterable[str], dataset_type: str | None = None) -> Snapshot:
    """The state of the collections in ``scope`` (missing ones are simply absent)."""
    snap = Snapshot()
    for c in reg.list_collections():
        snap.collections[c.name] = (c.type.value, c.doc)
        snap.states[c.name] = (c.state.value, ", ".join(c.writers or ()))
    types = reg.list_dataset_types()
    for t in types:
        snap.dataset_types[t.name] = (t.dimensions, t.is_calibration)
    type_names = [t.name for t in types if dataset_type in (None, t.name)]
    for name in sorted(set(scope)):
        if name not in snap.collections:
            continue
        ctype = snap.collections[name][0]
        if ctype == CollectionType.CALIBRATION.value:
            for cert in reg.certifications(name, None):
                if dataset_type in (None, cert.ref.dataset_type):
                    snap.certifications.add(_row(name, cert.ref, cert.timespan))
        elif ctype == CollectionType.CHAINED.value:
            snap.chains[name] = reg.get_chain(name)
        else:
            target = snap.tags if ctype == CollectionType.TAGGED.value else snap.datasets
            for t in type_names:
                for ref in reg.query_datasets(name, t):
                    target.add(_row(name, ref, None))
    return snap


def _row(collection: str, ref: Any, timespan: Timespan | None) -> Row:
    return Row(collection, ref.dataset_type, json.dumps(ref.data_id, sort_keys=True),
               str(ref.id), ref.run, timespan)


class _Rollback(Exception):
    """Raised inside the transaction block to undo a dry run."""


def preview(reg: Registry, scope: Iterable[str], action: Callable[[], T],
            dataset_type: str | None = None) -> tuple[T, list[dict[str, Any]]]:
    """Run ``action`` in a transaction that is rolled back; return its result and the
    changes it made."""
    scope = list(scope)
    captured: dict[str, Any] = {}
    try:
        with reg.transaction():
            # "before" in the same transaction as the action and "after": on SQLite the
            # write lock is held from here, so no other writer can slip in between.
            captured["before"] = snapshot(reg, scope, dataset_type)
            captured["result"] = action()
            captured["after"] = snapshot(reg, scope, dataset_type)
            raise _Rollback
    except _Rollback:
        pass
    return captured["result"], diff(captured["before"], captured["after"])


def apply(reg: Registry, scope: Iterable[str], action: Callable[[], T], dry_run: bool,
          dataset_type: str | None = None) -> tuple[T, list[dict[str, Any]] | None]:
    """Run ``action`` atomically; with ``dry_run`` only preview it (changes returned)."""
    if dry_run:
        return preview(reg, scope, action, dataset_type)
    with reg.transaction():
        return action(), None


def _change(action: str, kind: str, collection: str = "", row: Row | None = None,
            before: str = "", after: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"action": action, "kind": kind, "collection": collection}
    if row is not None:
        out.update(dataset_type=row.dataset_type, data_id=json.loads(row.data_id),
                   dataset=row.dataset, run=row.run)
    out.update(before=before, after=after)
    return out


def _span(ts: Timespan | None) -> str:
    return "" if ts is None else show_span(ts)


def _span_json(ts: Timespan) -> dict[str, str | None]:
    return {"begin": iso(ts.begin), "end": iso(ts.end)}


def _within(inner: Timespan, outer: Timespan) -> bool:
    lo = outer.begin is None or (inner.begin is not None and outer.begin <= inner.begin)
    hi = outer.end is None or (inner.end is not None and inner.end <= outer.end)
    return lo and hi


def _cert_changes(before: set[Row], after: set[Row]) -> list[dict[str, Any]]:
    """Pair each vanished row with the new rows of the same dataset inside its timespan:
    one → closed / shortened, several → split, none → removed; the rest are added."""
    removed = sorted(before - after, key=_order)
    added = sorted(after - before, key=_order)
    out: list[dict[str, Any]] = []
    for old in removed:
        assert old.timespan is not None
        parts = [n for n in added
                 if (n.collection, n.dataset) == (old.collection, old.dataset)
                 and n.timespan is not None and _within(n.timespan, old.timespan)]
        for p in parts:
            added.remove(p)
        if not parts:
            action = "removed"
        elif len(parts) > 1:
            action = "split"
        elif (old.timespan.end is None and parts[0].timespan.end is not None
              and parts[0].timespan.begin == old.timespan.begin):
            action = "closed"
        else:
            action = "shortened"
        change = _change(action, "certification", old.collection, old,
                         before=_span(old.timespan),
                         after="; ".join(_span(p.timespan) for p in parts))
        change["timespans_before"] = [_span_json(old.timespan)]
        change["timespans_after"] = [_span_json(p.timespan) for p in parts]  # type: ignore[arg-type]
        out.append(change)
    for new in added:
        assert new.timespan is not None
        change = _change("added", "certification", new.collection, new, after=_span(new.timespan))
        change["timespans_before"] = []
        change["timespans_after"] = [_span_json(new.timespan)]
        out.append(change)
    return out


def _order(row: Row) -> tuple[Any, ...]:
    ts = row.timespan
    begin = "" if ts is None or ts.begin is None else ts.begin.isoformat()
    return (row.collection, row.dataset_type, row.data_id, begin, row.dataset)


def _type_text(v: tuple[tuple[str, ...], bool] | None) -> str:
    return "" if v is None else f"({', '.join(v[0])}){' calibration' if v[1] else ''}"


def diff(before: Snapshot, after: Snapshot) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in sorted(set(before.dataset_types) | set(after.dataset_types)):
        b, a = before.dataset_types.get(name), after.dataset_types.get(name)
        if b != a:
            action = "added" if b is None else "removed" if a is None else "changed"
            out.append({"action": action, "kind": "dataset_type", "collection": "",
                        "dataset_type": name, "before": _type_text(b), "after": _type_text(a)})
    for name in sorted(set(before.collections) | set(after.collections)):
        b2, a2 = before.collections.get(name), after.collections.get(name)
        if b2 != a2:
            action = "added" if b2 is None else "removed" if a2 is None else "changed"
            out.append(_change(action, "collection", name, before=b2[0] if b2 else "",
                               after=a2[0] if a2 else ""))
    for name in sorted(set(before.states) & set(after.states)):
        (b_state, b_writers), (a_state, a_writers) = before.states[name], after.states[name]
        if b_state != a_state:
            out.append(_change("changed", "state", name, before=b_state, after=a_state))
        if b_writers != a_writers:
            out.append(_change("changed", "writers", name, before=b_writers, after=a_writers))
    for name in sorted(set(before.chains) | set(after.chains)):
        b3, a3 = before.chains.get(name), after.chains.get(name)
        if b3 != a3 and not (a3 is None and not b3) and not (b3 is None and not a3):
            out.append(_change("changed", "chain", name, before=", ".join(b3 or []),
                               after=", ".join(a3 or [])))
    for kind, b_rows, a_rows in (("dataset", before.datasets, after.datasets),
                                 ("tag", before.tags, after.tags)):
        for row in sorted(a_rows - b_rows, key=_order):
            out.append(_change("added", kind, row.collection, row))
        for row in sorted(b_rows - a_rows, key=_order):
            out.append(_change("removed", kind, row.collection, row))
    out.extend(_cert_changes(before.certifications, after.certifications))
    return out


HEADERS = ("ACTION", "KIND", "COLLECTION", "DATASET TYPE", "DATA ID", "DATASET", "BEFORE",
           "AFTER")


def report(changes: list[dict[str, Any]], result: dict[str, Any]) -> None:
    """Print a dry run's changes (stdout) and say that nothing was changed (stderr)."""
    emit({"dry_run": True, "result": result, "changes": changes}, HEADERS,
         ([c["action"], c["kind"], c["collection"], c.get("dataset_type", ""),
           show_data_id(c["data_id"]) if c.get("data_id") else "",
           show_id(c["dataset"]) if c.get("dataset") else "", c["before"], c["after"]]
          for c in changes))
    counts: dict[str, int] = {}
    for c in changes:
        counts[c["action"]] = counts.get(c["action"], 0) + 1
    summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "no changes"
    message(f"dry run: would make {summary}; nothing was changed")


