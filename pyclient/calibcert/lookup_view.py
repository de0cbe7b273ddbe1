"""What lookups in a collection answer, key by key and interval by interval (for the plot).

A CALIBRATION collection answers with its certifications. A CHAINED collection answers as
``find`` does (README "Semantics"): its search path is its members depth-first, each once at
its first occurrence; at each instant the *first* member with any match decides. RUN and
TAGGED members match by data ID for all time, so a RUN member early in a chain hides every
later member for the keys it holds; a CALIBRATION member answers only inside its
certifications and leaves the rest of the time line to the members after it.

:func:`lookup_view` reads the collection's content through the client's public API
(``list_collections``, ``get_chain``, ``certifications``, ``query_datasets``,
``list_dataset_types``) and splits each key's time line accordingly: every :class:`Answer`
is one interval in which one member answers with one dataset. ``find`` is not called per
instant (the content is read once); tests/test_plot_chains.py checks the result against
``find`` around every boundary on both backends.

RUN and TAGGED collections are refused (:func:`lookup_view` raises CollectionTypeError,
kind ``plot_collection_type``): their datasets answer for all time, so there is no validity
timeline to draw; inside a chain they are drawn as all-time answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .errors import error
from .types import (
    Certification,
    CollectionInfo,
    CollectionType,
    DatasetRef,
    Timespan,
    lookup_name,
)

if TYPE_CHECKING:
    from .registry import Registry

#: Stand-ins for unbounded sides while intervals are cut (never returned).
_NEG = datetime.min.replace(tzinfo=timezone.utc)
_POS = datetime.max.replace(tzinfo=timezone.utc)

#: The collection types :func:`lookup_view` draws.
PLOTTABLE = (CollectionType.CALIBRATION, CollectionType.CHAINED)


@dataclass(frozen=True)
class Answer:
    """Lookups of ``ref``'s key inside ``timespan`` return ``ref``, found in ``member`` (a
    CALIBRATION member through a certification, a RUN or TAGGED member for all time)."""

    ref: DatasetRef
    timespan: Timespan
    member: str


@dataclass(frozen=True)
class Member:
    """One collection of the search path, in search order."""

    name: str
    type: CollectionType
    #: The epoch it is read at when it is a snapshot's source's member (README
    #: "Snapshots": a snapshot searches its source as of its epoch); None otherwise.
    as_of: int | None = None


@dataclass(frozen=True)
class LookupView:
    """What lookups in ``collection`` answer: its search path (``members``) and, per key,
    the intervals in which each answers (``answers``, by key then begin). ``certifications``
    counts the certifications read (each may show as several answers, or none)."""

    collection: str
    type: CollectionType
    members: tuple[Member, ...]
    answers: tuple[Answer, ...]
    certifications: int

    def at(self, dataset_type: str, data_id: dict[str, Any], instant: datetime) -> Answer | None:
        """The answer shown for a key at ``instant`` (None: lookups find nothing)."""
        key = key_of(dataset_type, data_id)
        for a in self.answers:
            if key_of(a.ref.dataset_type, a.ref.data_id) == key and _contains(a.timespan,
                                                                               instant):
                return a
        return None


def key_of(dataset_type: str, data_id: dict[str, Any]) -> tuple[str, str]:
    """A calibration key as a hashable pair (dataset type, canonical data-ID JSON)."""
    return dataset_type, json.dumps(data_id, sort_keys=True)


def _contains(span: Timespan, instant: datetime) -> bool:
    return ((span.begin is None or span.begin <= instant)
            and (span.end is None or instant < span.end))


def _bounds(span: Timespan) -> tuple[datetime, datetime]:
    return (_NEG if span.begin is None else span.begin, _POS if span.end is None else span.end)


def _span(lo: datetime, hi: datetime) -> Timespan:
    return Timespan(None if lo == _NEG else lo, None if hi == _POS else hi)


def answers_for_key(hits: Iterable[tuple[Member, Sequence[Certification] | DatasetRef]]
                    ) -> list[Answer]:
    """The answers for one key, from each member's matches in search order: a member's
    certifications of the key, or the one dataset of the key a RUN / TAGGED member holds.
    Each member takes the time no earlier member answered (the "first member with any match
    decides" rule, README "Semantics", applied to whole intervals)."""
    free: list[tuple[datetime, datetime]] = [(_NEG, _POS)]  # time no member answered yet
    out: list[Answer] = []
    for member, found in hits:
        if not free:
            break
        if isinstance(found, DatasetRef):  # RUN / TAGGED: a match at every instant
            out += [Answer(found, _span(lo, hi), member.name) for lo, hi in free]
            free = []
            continue
        for cert in sorted(found, key=lambda c: _bounds(c.timespan)):
            b, e = _bounds(cert.timespan)
            rest: list[tuple[datetime, datetime]] = []
            for lo, hi in free:
                cut_lo, cut_hi = max(lo, b), min(hi, e)
                if cut_lo >= cut_hi:  # half-open: touching is not overlapping
                    rest.append((lo, hi))
                    continue
                out.append(Answer(cert.ref, _span(cut_lo, cut_hi), member.name))
                if lo < cut_lo:
                    rest.append((lo, cut_lo))
                if cut_hi < hi:
                    rest.append((cut_hi, hi))
            free = rest
    return sorted(out, key=lambda a: _bounds(a.timespan))


def search_path(reg: Registry, collection: str, infos: dict[str, CollectionInfo],
                as_of: int | None = None) -> tuple[Member, ...]:
    """The members a lookup in ``collection`` searches, in order: itself, or for a chain
    its non-CHAINED members depth-first, each once at its first occurrence (README "For
    DBAs", stored search paths); ``as_of``: the chains as they were at that epoch
    (``infos``: list_collections then, by name). A snapshot is its source's members as of
    the snapshot's epoch (Member.as_of)."""
    out: list[Member] = []
    seen: set[tuple[str, int | None]] = set()
    catalogs = {as_of: infos}

    def walk(name: str, epoch: int | None) -> None:
        if (name, epoch) in seen:
            return
        seen.add((name, epoch))
        info = catalogs[epoch][name]
        if info.snapshot_of is not None:
            then = info.snapshot_epoch
            if then not in catalogs:
                catalogs[then] = {c.name: c for c in reg.list_collections(as_of=then)}
            walk(info.snapshot_of, then)
        elif info.type is CollectionType.CHAINED:
            for child in reg.get_chain(name, as_of=epoch):
                walk(child, epoch)
        else:
            out.append(Member(name, info.type, None if epoch == as_of else epoch))

    walk(collection, as_of)
    return tuple(out)


def lookup_view(reg: Registry, collection: str, dataset_type: str | None = None,
                as_of: int | None = None) -> LookupView:
    """What lookups in CALIBRATION or CHAINED ``collection`` answer (optionally for one
    dataset type; else for every calibration dataset type); ``as_of``: what they answered
    at that epoch. Raises CollectionTypeError for a RUN or TAGGED collection,
    MissingCollectionError / MissingDatasetTypeError for unknown names.

    Every read of the database is in the block below, each given ``as_of``
    (``certifications``, ``list_collections``, ``get_chain``, ``query_datasets``; dataset
    types have no history). They are separate calls, not one snapshot (a ``transaction()``
    would take SQLite's write lock): a plot drawn now while writers work may mix their
    states; one drawn as of an epoch (``current_epoch()`` pins the present) cannot."""
    # -- reads ---------------------------------------------------------------------------
    certs = reg.certifications(collection, dataset_type, as_of=as_of)  # checks both names
    name = lookup_name(collection)
    infos = {c.name: c for c in reg.list_collections(as_of=as_of)}
    types = {n: c.type for n, c in infos.items()}
    if name not in types:  # removed since the first read
        raise error("collection_missing", collection=name)
    if types[name] not in PLOTTABLE:
        raise error("plot_collection_type", collection=name, type=types[name].value,
                    expected=[t.value for t in PLOTTABLE])
    members = search_path(reg, name, infos, as_of)
    if dataset_type is not None:
        dataset_types = [lookup_name(dataset_type)]
    else:
        dataset_types = [t.name for t in reg.list_dataset_types() if t.is_calibration]
    held: dict[str, dict[tuple[str, str], DatasetRef]] = {
        m.name: {key_of(r.dataset_type, r.data_id): r for t in dataset_types
                 for r in reg.query_datasets(m.name, t,
                                             as_of=as_of if m.as_of is None else m.as_of)}
        for m in members if m.type is not CollectionType.CALIBRATION}
    # -- from here on, only what was read -----------------------------------------------
    certified: dict[tuple[str, tuple[str, str]], list[Certification]] = {}
    for c in certs:
        certified.setdefault((c.collection, key_of(c.ref.dataset_type, c.ref.data_id)),
                             []).append(c)
    keys = {k for _, k in certified} | {k for refs in held.values() for k in refs}
    answers: list[Answer] = []
    for key in sorted(keys):
        hits: list[tuple[Member, Sequence[Certification] | DatasetRef]] = []
        for m in members:
            if m.type is CollectionType.CALIBRATION:
                if (m.name, key) in certified:
                    hits.append((m, certified[m.name, key]))
            elif key in held[m.name]:
                hits.append((m, held[m.name][key]))
        answers += answers_for_key(hits)
    return LookupView(name, types[name], members, tuple(answers), len(certs))
