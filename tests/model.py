"""A small, deliberately naive reference model of API.md for the model-based test.

Plain dicts and lists, brute force everywhere, no indexes, no cleverness: each operation is
written straight from the contract so that it can be read next to API.md and checked by
eye. ``tests/test_model.py`` drives random operation sequences against this model and the
real backends at once and requires identical results, errors and states.

The model has the same public method names and signatures as :class:`calibcert.Registry`
(for the operations it implements), and raises the same ``calibcert.errors`` classes. When
one call breaks several rules, the error raised is the one the contract's implementations
check first; that order is written once, as the order of the checks in each method:

- the target collection (unknown, then wrong type), then the dataset type (unknown, then
  not a calibration type), then data IDs (keys must be the type's dimensions), then
  datasets (the first unknown one in input order), then the operation's own rules.

Details carried by errors: ``ConflictingCertificationError.details["conflicts"]`` lists
dicts with ``dataset_type`` and ``data_id`` (every conflicting calibration key);
``CalibrationLookupError.details["collection"]`` names the deciding collection.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calibcert import errors
from calibcert.types import Certification, CollectionInfo, CollectionType, DatasetRef, Timespan

#: A data ID as a hashable value: sorted (key, value) pairs.
FrozenId = tuple[tuple[str, Any], ...]


def freeze(data_id: dict[str, Any]) -> FrozenId:
    return tuple(sorted(data_id.items()))


@dataclass
class Dataset:
    id: uuid.UUID
    dataset_type: str
    data_id: FrozenId
    run: str


#: Version numbers of certifications (see Cert.vid).
_VIDS = itertools.count(1)


@dataclass
class Cert:
    """A stored certification: ``[begin, end)``, None = unbounded. ``vid`` tells apart two
    certifications of equal value, one removed and the other made later (the history keeps
    them as two versions; tests/model_revert.py); changing ``end`` in place keeps it but
    changes the value, which is a new version too."""

    dataset: uuid.UUID
    begin: datetime | None
    end: datetime | None
    vid: int = field(default_factory=lambda: next(_VIDS))


def overlaps(b1: datetime | None, e1: datetime | None,
             b2: datetime | None, e2: datetime | None) -> bool:
    """Do the half-open spans [b1, e1) and [b2, e2) share an instant?"""
    return (b1 is None or e2 is None or b1 < e2) and (b2 is None or e1 is None or b2 < e1)


def valid_at(cert: Cert, at: datetime | Timespan) -> bool:
    """Does the certification contain the instant / overlap the timespan ``at``?"""
    if isinstance(at, Timespan):
        return overlaps(cert.begin, cert.end, at.begin, at.end)
    return (cert.begin is None or cert.begin <= at) and (cert.end is None or at < cert.end)


def _ids(datasets: Iterable[Any]) -> list[uuid.UUID]:
    return [d.id if isinstance(d, DatasetRef) else uuid.UUID(str(d)) for d in datasets]


class Model:
    """The reference model. State is six plain containers; see ``__init__``."""

    def __init__(self) -> None:
        self.collections: dict[str, str] = {}  # name -> type
        # name -> an id of its own per registration (a name removed and registered again is
        # another collection: the history keeps them apart; tests/model_revert.py)
        self.ids: dict[str, int] = {}
        self.next_id = 1
        self.dataset_types: dict[str, tuple[tuple[str, ...], bool]] = {}  # dims, is_calibration
        self.datasets: dict[uuid.UUID, Dataset] = {}
        self.tags: dict[str, list[uuid.UUID]] = {}  # TAGGED name -> dataset ids
        self.certs: dict[str, list[Cert]] = {}  # CALIBRATION name -> certifications
        self.chains: dict[str, list[str]] = {}  # CHAINED name -> children in order

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside is undone when the block raises."""
        saved = copy.deepcopy(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _atomic(self) -> Any:
        # Each mutating call is atomic by itself: checks may fail half-way through the work.
        return self.transaction()

    # -- common checks --------------------------------------------------------------------

    def _collection(self, name: str, *types: str) -> str:
        if name not in self.collections:
            raise errors.MissingCollectionError(f"collection {name!r} does not exist",
                                                collection=name)
        ctype = self.collections[name]
        if types and ctype not in types:
            raise errors.CollectionTypeError(f"collection {name!r} is {ctype}", collection=name)
        return ctype

    def _dataset_type(self, name: str, need_calibration: bool = False) -> tuple[str, ...]:
        if name not in self.dataset_types:
            raise errors.MissingDatasetTypeError(f"dataset type {name!r} does not exist",
                                                 dataset_type=name)
        dims, is_calibration = self.dataset_types[name]
        if need_calibration and not is_calibration:
            raise errors.DatasetTypeError(f"{name!r} is not a calibration type",
                                          dataset_type=name)
        return dims

    def _data_ids(self, dataset_type: str, data_ids: Iterable[dict[str, Any]]) -> list[FrozenId]:
        dims = set(self.dataset_types[dataset_type][0])
        out = []
        for data_id in data_ids:
            if set(data_id) != dims:
                raise errors.DataIdError(f"data ID {data_id} does not match {sorted(dims)}",
                                         dataset_type=dataset_type, data_id=dict(data_id))
            out.append(freeze(data_id))
        return out

    def _datasets(self, ids: list[uuid.UUID]) -> list[Dataset]:
        for i in ids:
            if i not in self.datasets:
                raise errors.MissingDatasetError(f"dataset {i} does not exist", dataset=i)
        return [self.datasets[i] for i in ids]

    def _key(self, dataset_id: uuid.UUID) -> tuple[str, FrozenId]:
        d = self.datasets[dataset_id]
        return (d.dataset_type, d.data_id)

    def _ref(self, dataset_id: uuid.UUID) -> DatasetRef:
        d = self.datasets[dataset_id]
        return DatasetRef(d.id, d.dataset_type, dict(d.data_id), d.run)

    # -- collections ----------------------------------------------------------------------

    def register_collection(self, name: str, type: CollectionType | str,
                            doc: str | None = None) -> bool:
        ctype = CollectionType.parse(type).value
        if name in self.collections:
            if self.collections[name] != ctype:
                raise errors.ConflictingDefinitionError(f"{name!r} exists with another type",
                                                        collection=name)
            return False
        self._new_collection(name, ctype)
        table = {"TAGGED": self.tags, "CALIBRATION": self.certs, "CHAINED": self.chains}
        if ctype in table:
            table[ctype][name] = []
        return True

    def _new_collection(self, name: str, ctype: str) -> None:
        self.collections[name] = ctype
        self.ids[name] = self.next_id
        self.next_id += 1

    def get_chain(self, parent: str) -> list[str]:
        self._collection(parent, "CHAINED")
        return list(self.chains[parent])

    def list_collections(self, type: str | None = None) -> list[CollectionInfo]:
        return [CollectionInfo(n, CollectionType(t)) for n, t in sorted(self.collections.items())
                if type is None or t == type]

    def _reachable(self, start: str) -> set[str]:
        """Every collection reachable from ``start`` through chains, ``start`` included."""
        seen = {start}
        todo = [start]
        while todo:
            for child in self.chains.get(todo.pop(), []):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    def set_chain(self, parent: str, children: Sequence[str]) -> None:
        self._collection(parent, "CHAINED")
        for child in children:
            if child not in self.collections:
                raise errors.MissingCollectionError(f"child {child!r} does not exist",
                                                    collection=child)
        unique = list(dict.fromkeys(children))  # a repeated child keeps its first position
        for child in unique:
            if parent in self._reachable(child):
                raise errors.CollectionCycleError(f"{child!r} in {parent!r} makes a cycle",
                                                  collection=parent)
        self.chains[parent] = unique

    def remove_collection(self, name: str) -> None:
        ctype = self._collection(name)
        if any(name in children for children in self.chains.values()):
            raise errors.CollectionInUseError(f"{name!r} is a chain child", collection=name)
        if ctype == "RUN" and any(d.run == name for d in self.datasets.values()):
            raise errors.CollectionInUseError(f"RUN {name!r} holds datasets", collection=name)
        del self.collections[name]
        del self.ids[name]
        for table in (self.tags, self.certs, self.chains):
            table.pop(name, None)

    def copy_collection(self, source: str, destination: str, doc: str | None = None) -> None:
        ctype = self._collection(source, "TAGGED", "CALIBRATION", "CHAINED")
        if destination in self.collections:
            raise errors.ConflictingDefinitionError(f"{destination!r} exists",
                                                    collection=destination)
        self._new_collection(destination, ctype)
        for table in (self.tags, self.certs, self.chains):
            if source in table:
                table[destination] = copy.deepcopy(table[source])
        for c in self.certs.get(destination, []):
            c.vid = next(_VIDS)  # new rows of another collection

    # -- dataset types and datasets ---------------------------------------------------------

    def register_dataset_type(self, name: str, dimensions: Sequence[str],
                              is_calibration: bool = True) -> bool:
        dims = tuple(dimensions)
        if len(set(dims)) != len(dims):
            raise errors.InvalidArgumentError("repeated dimension", dataset_type=name)
        if name in self.dataset_types:
            if self.dataset_types[name] != (dims, bool(is_calibration)):
                raise errors.ConflictingDefinitionError(f"{name!r} exists", dataset_type=name)
            return False
        self.dataset_types[name] = (dims, bool(is_calibration))
        return True

    def insert_datasets(self, dataset_type: str, run: str, data_ids: Iterable[dict[str, Any]],
                        ids: Iterable[uuid.UUID] | None = None) -> list[DatasetRef]:
        data_ids = list(data_ids)
        self._dataset_type(dataset_type)
        self._collection(run, "RUN")
        values = self._data_ids(dataset_type, data_ids)
        new_ids = [uuid.uuid4() for _ in values] if ids is None else _ids(ids)
        if len(set(values)) != len(values):
            raise errors.ConflictingDefinitionError("data ID repeated in one call", collection=run)
        if len(set(new_ids)) != len(new_ids):
            raise errors.ConflictingDefinitionError("dataset id repeated in one call")
        if any(i in self.datasets for i in new_ids):
            raise errors.ConflictingDefinitionError("dataset id already used")
        for d in self.datasets.values():
            if d.run == run and d.dataset_type == dataset_type and d.data_id in values:
                raise errors.ConflictingDefinitionError("data ID already in the RUN",
                                                        collection=run)
        for i, value in zip(new_ids, values, strict=True):
            self.datasets[i] = Dataset(i, dataset_type, value, run)
        return [self._ref(i) for i in new_ids]

    def tag(self, collection: str, datasets: Iterable[Any]) -> int:
        self._collection(collection, "TAGGED")
        ids = list(dict.fromkeys(_ids(datasets)))
        self._datasets(ids)
        held = {self._key(i): i for i in self.tags[collection]}
        for i in ids:
            key = self._key(i)
            if held.get(key, i) != i:
                raise errors.ConflictingDefinitionError(
                    "one dataset per data ID in a TAGGED collection", collection=collection)
            held[key] = i
        added = [i for i in ids if i not in self.tags[collection]]
        self.tags[collection].extend(added)
        return len(added)

    def untag(self, collection: str, datasets: Iterable[Any]) -> int:
        self._collection(collection, "TAGGED")
        ids = set(_ids(datasets))
        self._datasets(list(ids))
        before = len(self.tags[collection])
        self.tags[collection] = [i for i in self.tags[collection] if i not in ids]
        return before - len(self.tags[collection])

    # -- certification ----------------------------------------------------------------------

    def certify(self, collection: str, datasets: Iterable[Any], timespan: Timespan,
                close_open: bool = False) -> int:
        ids = _ids(datasets)
        items = [(i, timespan.begin, timespan.end) for i in ids]
        return self._certify(collection, items, close_open, series=False)

    def certify_series(self, collection: str, items: Iterable[tuple[Any, datetime | None]],
                       close_open: bool = False) -> int:
        pairs = [(_ids([d])[0], b) for d, b in items]
        return self._certify(collection, [(i, b, None) for i, b in pairs], close_open,
                             series=True)

    def _certify(self, collection: str, items: list[tuple[uuid.UUID, Any, Any]],
                 close_open: bool, series: bool) -> int:
        self._collection(collection, "CALIBRATION")
        for d in self._datasets([i for i, _, _ in items]):
            self._dataset_type(d.dataset_type, need_calibration=True)
        if series:
            items = self._series_ends(collection, items)
        with self._atomic():
            if close_open:
                self._close_before(collection, items)
            stored = self.certs[collection]
            bad = set()
            for n, (i, b, e) in enumerate(items):
                key = self._key(i)
                for c in stored:
                    if self._key(c.dataset) == key and overlaps(b, e, c.begin, c.end):
                        bad.add(key)
                for j, b2, e2 in items[n + 1:]:
                    if self._key(j) == key and overlaps(b, e, b2, e2):
                        bad.add(key)
            if bad:
                raise self._conflict(collection, bad)
            stored.extend(Cert(i, b, e) for i, b, e in items)
        return len(items)

    def _conflict(self, collection: str, keys: set[tuple[str, FrozenId]]) -> Exception:
        return errors.ConflictingCertificationError(
            f"certification into {collection!r} conflicts",
            collection=collection,
            conflicts=[{"dataset_type": t, "data_id": dict(d)} for t, d in sorted(keys)])

    def _series_ends(self, collection: str, items: list[tuple[uuid.UUID, Any, Any]]):
        """Each item's end: the next begin of the same key (None sorts first); duplicate
        begins of one key are a conflict of that key."""
        by_key: dict[Any, list[Any]] = {}
        for i, b, _ in items:
            by_key.setdefault(self._key(i), []).append(b)
        dups = {k for k, begins in by_key.items() if len(set(begins)) != len(begins)}
        if dups:
            raise self._conflict(collection, dups)
        out = []
        for i, b, _ in items:
            later = [x for x in by_key[self._key(i)] if x is not None and (b is None or x > b)]
            out.append((i, b, min(later) if later else None))
        return out

    def _close_before(self, collection: str, items: list[tuple[uuid.UUID, Any, Any]]) -> None:
        """close_open: per key, the earliest new begin ends a stored open-ended
        certification that begins before it (nothing for a key with a new item unbounded
        below)."""
        by_key: dict[Any, list[Any]] = {}
        for i, b, _ in items:
            by_key.setdefault(self._key(i), []).append(b)
        for key, begins in by_key.items():
            if None in begins:
                continue
            first = min(begins)
            for c in self.certs[collection]:
                if (self._key(c.dataset) == key and c.end is None
                        and (c.begin is None or c.begin < first)):
                    c.end = first

    def _matching(self, collection: str, dataset_type: str,
                  data_ids: Iterable[dict[str, Any]] | None) -> list[Cert]:
        """Checks shared by decertify and close_open_range, then the certifications of the
        type (and data IDs) they act on."""
        self._collection(collection, "CALIBRATION")
        self._dataset_type(dataset_type, need_calibration=True)
        wanted = None if data_ids is None else set(self._data_ids(dataset_type, data_ids))
        return [c for c in self.certs[collection]
                if self.datasets[c.dataset].dataset_type == dataset_type
                and (wanted is None or self.datasets[c.dataset].data_id in wanted)]

    def decertify(self, collection: str, dataset_type: str, timespan: Timespan,
                  data_ids: Iterable[dict[str, Any]] | None = None) -> int:
        b, e = timespan.begin, timespan.end
        hit = [c for c in self._matching(collection, dataset_type, data_ids)
               if overlaps(c.begin, c.end, b, e)]
        for c in hit:
            self.certs[collection].remove(c)
            if b is not None and (c.begin is None or c.begin < b):
                self.certs[collection].append(Cert(c.dataset, c.begin, b))
            if e is not None and (c.end is None or e < c.end):
                self.certs[collection].append(Cert(c.dataset, e, c.end))
        return len(hit)

    def close_open_range(self, collection: str, dataset_type: str, end: datetime,
                         data_ids: Iterable[dict[str, Any]] | None = None) -> int:
        open_ended = [c for c in self._matching(collection, dataset_type, data_ids)
                      if c.end is None]
        for c in open_ended:
            if c.begin is not None and c.begin >= end:
                raise errors.InvalidTimespanError(f"dataset {c.dataset} begins after {end}",
                                                  collection=collection)
        for c in open_ended:
            c.end = end
        return len(open_ended)

    # -- lookups ----------------------------------------------------------------------------

    def _flatten(self, name: str) -> list[str]:
        """The search path: depth-first through chains, each collection once."""
        out: list[str] = []

        def walk(c: str) -> None:
            if self.collections[c] != "CHAINED":
                if c not in out:
                    out.append(c)
                return
            for child in self.chains[c]:
                walk(child)

        walk(name)
        return out

    def _lookup(self, collection: str, dataset_type: str, data_id: FrozenId,
                at: datetime | Timespan | None) -> tuple[str, list[uuid.UUID]] | None:
        """The deciding member and its matches, or None."""
        for member in self._flatten(collection):
            ctype = self.collections[member]
            if ctype == "RUN":
                found = [d.id for d in self.datasets.values() if d.run == member
                         and (d.dataset_type, d.data_id) == (dataset_type, data_id)]
            elif ctype == "TAGGED":
                found = [i for i in self.tags[member]
                         if self._key(i) == (dataset_type, data_id)]
            elif at is None:
                found = []
            else:
                found = [c.dataset for c in self.certs[member]
                         if self._key(c.dataset) == (dataset_type, data_id)
                         and valid_at(c, at)]
            if found:
                return member, found
        return None

    def find_many(self, collection: str, dataset_type: str,
                  queries: Iterable[tuple[dict[str, Any], Any]]) -> list[DatasetRef | None]:
        queries = list(queries)
        if not queries:
            return []
        self._collection(collection)
        self._dataset_type(dataset_type)
        values = self._data_ids(dataset_type, [d for d, _ in queries])
        results = [self._lookup(collection, dataset_type, v, at)
                   for v, (_, at) in zip(values, queries, strict=True)]
        for r in results:
            if r is not None and len(r[1]) > 1:
                raise errors.CalibrationLookupError(f"ambiguous lookup in {r[0]!r}",
                                                    collection=r[0], searched=collection)
        return [None if r is None else self._ref(r[1][0]) for r in results]

    def find(self, collection: str, dataset_type: str, data_id: dict[str, Any],
             at: datetime | Timespan | None) -> DatasetRef | None:
        return self.find_many(collection, dataset_type, [(data_id, at)])[0]

    def certifications(self, collection: str,
                       dataset_type: str | None = None) -> list[Certification]:
        self._collection(collection)
        if dataset_type is not None:
            self._dataset_type(dataset_type)
        return [Certification(self._ref(c.dataset), Timespan(c.begin, c.end), member)
                for member in self._flatten(collection)
                if self.collections[member] == "CALIBRATION"
                for c in self.certs[member]
                if dataset_type is None or self.datasets[c.dataset].dataset_type == dataset_type]
