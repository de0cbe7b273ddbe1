"""The client facade: one public method per API operation, shared by every backend.

Each public method normalises its arguments once (names, refs → UUIDs, aware datetimes,
data-ID value types) and hands plain values to the backend's ``_``-prefixed primitive.
Rules that need stored state are the backend's: the PostgreSQL functions, or the SQLite
backend's checks inside its serialized transaction.
"""

from __future__ import annotations

import abc
import gc
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from .errors import InvalidArgumentError, InvalidTimespanError, error
from .explain import ExplainMixin
from .history import HistoryMixin, check_epoch, check_request_id
from .query_batch import At, DataIdBatch, normalize_at, read_queries
from .retry import Transaction
from .snapshots import SnapshotMixin
from .types import (
    MAX_DIMENSIONS,
    Certification,
    CollectionInfo,
    CollectionState,
    CollectionStats,
    CollectionType,
    DataId,
    DatasetRef,
    DatasetTypeInfo,
    IntegrityProblem,
    Timespan,
    canonical_data_id,
    check_name,
    lone_surrogate,
    lookup_name,
    to_utc,
)

#: What callers may pass where a dataset is expected.
DatasetLike = DatasetRef | uuid.UUID | str


def _dataset_id(d: DatasetLike) -> uuid.UUID:
    """The UUID of one ref / UUID / UUID string (the one place this rule is written)."""
    if isinstance(d, DatasetRef):
        return d.id
    if isinstance(d, uuid.UUID):
        return d
    if isinstance(d, str):
        try:
            return uuid.UUID(d)
        except ValueError:
            raise InvalidArgumentError(f"{d!r} is not a dataset id (UUID)") from None
    raise InvalidArgumentError(f"expected a DatasetRef or UUID, not {type(d).__name__}")


def _check_iterable(datasets: Iterable[DatasetLike]) -> None:
    if isinstance(datasets, (DatasetRef, uuid.UUID, str)):
        raise InvalidArgumentError("datasets must be an iterable of refs or ids, not a single one")


def dataset_ids(datasets: Iterable[DatasetLike]) -> list[uuid.UUID]:
    """UUIDs of refs / UUIDs / UUID strings, in order."""
    _check_iterable(datasets)
    return [_dataset_id(d) for d in datasets]


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a call builds a large result.

    Every object of the result is still alive when the call returns, so a collection in
    between cannot free any of them; yet tens of thousands of new objects trigger
    collections, and a full one walks the whole heap of the caller's process. Measured in
    bench/run.py (find_many of 10^4 pairs, SQLite): calls during which a full collection
    ran took 82-86 ms instead of 46-56. Collections are only deferred: the counters carry
    over, so the next allocations after the call collect as usual. Reference counting
    (which frees almost everything) is unaffected. A caller that disabled the collector
    keeps it disabled."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class DatasetIdArray(Sequence[uuid.UUID]):
    """Dataset ids packed 16 bytes each, read back as UUIDs on access. ``certify`` passes
    its ids this way: a call for 10^6 datasets then holds 16 MB of ids rather than about
    110 MB of UUID objects (the backends stream them in chunks either way)."""

    __slots__ = ("_buf",)

    def __init__(self, buf: bytes | bytearray = b"") -> None:
        self._buf = buf

    def __len__(self) -> int:
        return len(self._buf) // 16

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step == 1:
                return DatasetIdArray(self._buf[16 * start:16 * max(start, stop)])
            return [self[j] for j in range(start, stop, step)]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("dataset id index out of range")
        return uuid.UUID(bytes=bytes(self._buf[16 * i:16 * i + 16]))

    def __iter__(self) -> Iterator[uuid.UUID]:
        return (uuid.UUID(bytes=b) for b in self.iter_bytes())

    def packed(self) -> bytes | bytearray:
        """All ids, 16 bytes each, in order."""
        return self._buf

    def iter_bytes(self) -> Iterator[bytes]:
        """The 16 bytes of each id, in order, without making UUID objects."""
        buf = self._buf
        return (bytes(buf[off:off + 16]) for off in range(0, len(buf), 16))


def packed_dataset_ids(datasets: Iterable[DatasetLike]) -> DatasetIdArray:
    """dataset_ids, packed (see DatasetIdArray): same checks, same errors."""
    _check_iterable(datasets)
    buf = bytearray()
    for d in datasets:
        buf += _dataset_id(d).bytes
    return DatasetIdArray(buf)


def normalize_timespan(timespan: Timespan | tuple[datetime | None, datetime | None]) -> Timespan:
    if isinstance(timespan, Timespan):
        return timespan
    if isinstance(timespan, tuple) and len(timespan) == 2:
        return Timespan(*timespan)
    raise InvalidTimespanError(
        f"timespan must be a Timespan or a (begin, end) pair, not {type(timespan).__name__}"
    )


def check_doc(doc: str | None) -> str | None:
    """A collection's free-text doc: a string or None, without NUL (PostgreSQL text cannot
    hold it, so both backends refuse it alike)."""
    if doc is not None and (not isinstance(doc, str) or "\x00" in doc):
        raise InvalidArgumentError(f"collection doc must be a string without NUL, not {doc!r}")
    bad = doc and lone_surrogate(doc)
    if bad:
        raise InvalidArgumentError(
            f"collection doc {doc!r} contains a lone surrogate {bad}: not valid Unicode text")
    return doc


def normalize_data_ids(data_ids: Iterable[DataId] | None,
                       dataset_type: str | None = None) -> list[dict[str, Any]] | None:
    if data_ids is None:
        return None
    if isinstance(data_ids, Mapping):
        raise InvalidArgumentError("data_ids must be a list of data IDs, not a single mapping")
    return [canonical_data_id(d, None, dataset_type) for d in data_ids]


_COLL, _TYPE = "collection name", "dataset type name"


class Registry(HistoryMixin, ExplainMixin, SnapshotMixin, abc.ABC):
    """A connection to a calibcert database. Obtain one with :func:`calibcert.connect`.

    Every mutating method is atomic on its own; :meth:`transaction` groups several into one
    atomic unit (nested blocks are savepoints).
    """

    #: "postgresql" or "sqlite".
    backend: str

    # -- collections ------------------------------------------------------------------

    def register_collection(
        self, name: str, type: CollectionType | str, doc: str | None = None
    ) -> bool:
        """Create a collection; True if created, False if it existed with that type."""
        return self._register_collection(
            check_name(name, "collection name"), CollectionType.parse(type).value, check_doc(doc)
        )

    def set_chain(self, parent: str, children: Sequence[str]) -> None:
        """Replace the children of CHAINED collection ``parent`` (in search order)."""
        if isinstance(children, str):
            raise InvalidArgumentError("children must be a list of collection names")
        self._set_chain(lookup_name(parent, _COLL),
                        [check_name(c, "collection name") for c in children])

    def get_chain(self, parent: str, *, as_of: int | None = None) -> list[str]:
        """The direct children of CHAINED collection ``parent`` (``as_of``: as they were
        at that epoch; README "History and time travel")."""
        epoch = check_epoch(as_of)
        if epoch is not None:
            return self._get_chain_as_of(lookup_name(parent, _COLL), epoch)
        return self._get_chain(lookup_name(parent, _COLL))

    def remove_collection(self, name: str) -> None:
        """Remove a TAGGED / CALIBRATION / CHAINED collection, or an empty RUN."""
        self._remove_collection(lookup_name(name, _COLL))

    def list_collections(self, type: CollectionType | str | None = None, *,
                         as_of: int | None = None) -> list[CollectionInfo]:
        """Every collection (optionally of one type), by name (``as_of``: those that existed
        at that epoch, with their name, state and writers then; the doc is today's)."""
        t = None if type is None else CollectionType.parse(type).value
        epoch = check_epoch(as_of)
        if epoch is not None:
            return self._list_collections_as_of(t, epoch)
        return self._list_collections(t)

    def set_collection_state(self, name: str, state: CollectionState | str) -> CollectionState:
        """Set the state of collection ``name`` (OPEN, APPEND_ONLY or FROZEN, any case) and
        return the previous one. A refused change raises CollectionStateError."""
        value = state.value if isinstance(state, CollectionState) else state
        if value is not None and not isinstance(value, str):
            raise InvalidArgumentError(f"collection state must be a string, not {value!r}")
        return CollectionState(self._set_collection_state(lookup_name(name, _COLL), value))

    def set_collection_writers(
        self, name: str, roles: Sequence[str] | None
    ) -> tuple[str, ...] | None:
        """Only members of ``roles`` may change collection ``name`` (None: every certifier);
        returns the previous list. PostgreSQL only: on SQLite, InvalidArgumentError."""
        if isinstance(roles, str):
            raise InvalidArgumentError("roles must be a list of role names, not a string")
        listed = None if roles is None else list(roles)
        old = self._set_collection_writers(lookup_name(name, _COLL), listed)
        return None if old is None else tuple(old)

    def copy_collection(self, source: str, destination: str, doc: str | None = None) -> None:
        """Create ``destination`` with the type and associations of ``source``."""
        self._copy_collection(lookup_name(source, _COLL),
                              check_name(destination, "collection name"), check_doc(doc))

    # -- dataset types and datasets ----------------------------------------------------

    def register_dataset_type(
        self, name: str, dimensions: Sequence[str], is_calibration: bool = True
    ) -> bool:
        """Create a dataset type; True if created, False if the same definition existed."""
        if isinstance(dimensions, str):
            raise InvalidArgumentError("dimensions must be a sequence of names, not a string")
        dims = tuple(check_name(d, "dimension name") for d in dimensions)
        if len(set(dims)) != len(dims):
            raise InvalidArgumentError(
                f"dimensions of dataset type {name!r} repeat a name: {list(dims)}",
                dataset_type=name,
            )
        if len(dims) > MAX_DIMENSIONS:
            raise error("dimensions_count", dataset_type=name, count=len(dims))
        return self._register_dataset_type(
            check_name(name, "dataset type name"), dims, bool(is_calibration)
        )

    def list_dataset_types(self) -> list[DatasetTypeInfo]:
        return self._list_dataset_types()

    def insert_datasets(
        self,
        dataset_type: str,
        run: str,
        data_ids: Iterable[DataId],
        ids: Iterable[uuid.UUID | str] | None = None,
    ) -> list[DatasetRef]:
        """Create datasets in RUN ``run``; returns refs in input order."""
        dataset_type, run = lookup_name(dataset_type, _TYPE), lookup_name(run, _COLL)
        values = normalize_data_ids(data_ids, dataset_type) or []
        id_list = None if ids is None else dataset_ids(ids)
        if id_list is not None and len(id_list) != len(values):
            raise InvalidArgumentError(
                f"{len(id_list)} ids given for {len(values)} data IDs",
                dataset_type=dataset_type,
                collection=run,
            )
        return self._insert_datasets(dataset_type, run, values, id_list)

    def get_datasets(self, ids: Iterable[DatasetLike]) -> list[DatasetRef]:
        """Refs for dataset ids, in input order (MissingDatasetError for unknown ids)."""
        return self._get_datasets(dataset_ids(ids))

    def query_datasets(
        self, collection: str, dataset_type: str, where: DataId | None = None, *,
        as_of: int | None = None
    ) -> list[DatasetRef]:
        """Datasets of a type visible in a RUN / TAGGED / CHAINED collection (no time),
        optionally only those whose data ID has the values in ``where`` (``as_of``: those
        it held at that epoch, through its chains as they were then)."""
        dataset_type = lookup_name(dataset_type, _TYPE)
        w = None if where is None else canonical_data_id(where, None, dataset_type)
        epoch = check_epoch(as_of)
        if epoch is not None:
            return self._query_datasets_as_of(lookup_name(collection, _COLL), dataset_type, w,
                                              epoch)
        return self._query_datasets(lookup_name(collection, _COLL), dataset_type, w)

    def tag(self, collection: str, datasets: Iterable[DatasetLike]) -> int:
        return self._tag(lookup_name(collection, _COLL), dataset_ids(datasets))

    def untag(self, collection: str, datasets: Iterable[DatasetLike]) -> int:
        return self._untag(lookup_name(collection, _COLL), dataset_ids(datasets))

    # -- certification ----------------------------------------------------------------

    def certify(
        self,
        collection: str,
        datasets: Iterable[DatasetLike],
        timespan: Timespan,
        close_open: bool = False,
    ) -> int:
        """Certify every dataset over ``timespan``; all or nothing. Returns rows stored."""
        return self._certify(
            lookup_name(collection, _COLL), packed_dataset_ids(datasets),
            normalize_timespan(timespan), bool(close_open),
        )

    def certify_series(
        self,
        collection: str,
        items: Iterable[tuple[DatasetLike, datetime | None]],
        close_open: bool = False,
    ) -> int:
        """Certify (dataset, begin) pairs; each end is the next begin of the same key."""
        ids: list[uuid.UUID] = []
        begins: list[datetime | None] = []
        for item in items:
            try:
                ds, begin = item
            except (TypeError, ValueError):
                raise InvalidArgumentError(
                    f"certify_series items are (dataset, begin) pairs, not {item!r}"
                ) from None
            ids.extend(dataset_ids([ds]))
            begins.append(None if begin is None else to_utc(begin, "series begin"))
        return self._certify_series(lookup_name(collection, _COLL), ids, begins,
                                    bool(close_open))

    def decertify(
        self,
        collection: str,
        dataset_type: str,
        timespan: Timespan,
        data_ids: Iterable[DataId] | None = None,
    ) -> int:
        """Remove validity inside ``timespan``; returns the number of certifications touched."""
        dataset_type = lookup_name(dataset_type, _TYPE)
        return self._decertify(
            lookup_name(collection, _COLL), dataset_type, normalize_timespan(timespan),
            normalize_data_ids(data_ids, dataset_type)
        )

    def close_open_range(
        self,
        collection: str,
        dataset_type: str,
        end: datetime,
        data_ids: Iterable[DataId] | None = None,
    ) -> int:
        """End every open-ended certification of the type at ``end``; returns how many."""
        if end is None:
            raise InvalidTimespanError("close_open_range needs an end time, not None")
        dataset_type = lookup_name(dataset_type, _TYPE)
        return self._close_open_range(
            lookup_name(collection, _COLL), dataset_type, to_utc(end, "end"),
            normalize_data_ids(data_ids, dataset_type)
        )

    # -- lookups ----------------------------------------------------------------------

    def find(
        self, collection: str, dataset_type: str, data_id: DataId, at: At, *,
        as_of: int | None = None,
    ) -> DatasetRef | None:
        """The dataset valid for ``data_id`` at ``at`` in ``collection`` (see API.md);
        ``as_of``: the answer find gave at that epoch (``current_epoch()``)."""
        dataset_type = lookup_name(dataset_type, _TYPE)
        epoch = check_epoch(as_of)
        if epoch is not None:
            return self._find_many_as_of(
                lookup_name(collection, _COLL), dataset_type,
                [canonical_data_id(data_id, None, dataset_type)], [normalize_at(at)], epoch)[0]
        return self._find(lookup_name(collection, _COLL), dataset_type,
                          canonical_data_id(data_id, None, dataset_type), normalize_at(at))

    def find_many(
        self, collection: str, dataset_type: str, queries: Iterable[tuple[DataId, At]], *,
        as_of: int | None = None,
    ) -> list[DatasetRef | None]:
        """``find`` for many (data_id, at) pairs in one round trip; results in input order
        (``as_of``: as of that epoch)."""
        epoch = check_epoch(as_of)
        collection = lookup_name(collection, _COLL)
        dataset_type = lookup_name(dataset_type, _TYPE)
        batch, times = read_queries(queries, dataset_type)
        if not batch:
            return []
        if epoch is not None:
            return self._find_many_as_of(collection, dataset_type, batch.expanded(), times,
                                         epoch)
        with _no_cyclic_gc():
            return self._find_many_batch(collection, dataset_type, batch, times)

    def certifications(
        self, collection: str, dataset_type: str | None = None, *, as_of: int | None = None
    ) -> list[Certification]:
        """Every certification in ``collection`` (through a chain: each CALIBRATION child);
        ``as_of``: those it held at that epoch, through its chains as they were then."""
        epoch = check_epoch(as_of)
        if epoch is not None:
            return self._certifications_as_of(lookup_name(collection, _COLL),
                                              lookup_name(dataset_type, _TYPE), epoch)
        return self._certifications(lookup_name(collection, _COLL),
                                    lookup_name(dataset_type, _TYPE))

    # -- health -----------------------------------------------------------------------

    def check_integrity(self) -> list[IntegrityProblem]:
        """Re-verify every invariant from the tables (README "Integrity check and
        statistics"): one (check, detail) per violation, none when the database is
        healthy; sorted by check, then detail, identically on both backends."""
        return sorted(self._check_integrity(),
                      key=lambda p: (p.check, json.dumps(p.detail, sort_keys=True)))

    def collection_stats(self) -> list[CollectionStats]:
        """Counts, open-ended ranges and time coverage of every collection, by name."""
        return self._collection_stats()

    def collection_digest(self, collection: str, *, as_of: int | None = None) -> str:
        """``sha256:<64 hex>`` of the collection's current content (``as_of``: its content
        at that epoch) in the canonical form of README "Collection digests": equal for
        equal content on both backends, after export/import and under another name
        (copy_collection)."""
        epoch = check_epoch(as_of)
        if epoch is not None:
            return self._collection_digest_as_of(lookup_name(collection, _COLL), epoch)
        return self._collection_digest(lookup_name(collection, _COLL))

    # -- transactions and lifetime ----------------------------------------------------

    def transaction(self, retries: int = 0, request_id: str | None = None) -> Transaction:
        """Group several operations into one atomic unit (nested: a savepoint)::

            with reg.transaction():
                ...

        With ``retries=N``, the block is run again (up to N more times, after a short
        jittered sleep) when it fails as a deadlock victim or serialization failure
        (TransactionConflictError); a ``with`` block cannot be rerun, so that form is a
        loop of attempts, only as the outermost transaction::

            for attempt in reg.transaction(retries=3):
                with attempt:
                    ...

        A single call made outside any transaction is retried that way by itself
        (:data:`calibcert.retry.CALL_ATTEMPTS`). See :mod:`calibcert.retry`.

        ``request_id`` (outermost only; README "Retention and request ids"): once a block
        with this id has committed, its retry returns each call's first result."""
        return Transaction(self._transaction if request_id is None else
                           self._request_transaction(check_request_id(request_id)),
                           self._in_transaction, retries)

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """The backend's atomic unit: a transaction, or a savepoint inside one."""

    @abc.abstractmethod
    def _in_transaction(self) -> bool:
        """Whether a transaction (ours or the caller's) is open on the connection."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection (a caller's own connection is left open)."""

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- backend primitives -----------------------------------------------------------
    # Arguments arrive normalised: names checked, UUID lists, UTC datetimes, data IDs as
    # plain dicts with int/str values (dimensions not yet checked).

    @abc.abstractmethod
    def _register_collection(self, name: str, type: str, doc: str | None) -> bool: ...

    @abc.abstractmethod
    def _set_chain(self, parent: str, children: list[str]) -> None: ...

    @abc.abstractmethod
    def _get_chain(self, parent: str) -> list[str]: ...

    @abc.abstractmethod
    def _remove_collection(self, name: str) -> None: ...

    @abc.abstractmethod
    def _list_collections(self, type: str | None) -> list[CollectionInfo]: ...

    @abc.abstractmethod
    def _copy_collection(self, source: str, destination: str, doc: str | None) -> None: ...

    @abc.abstractmethod
    def _set_collection_state(self, name: str, state: str | None) -> str: ...

    @abc.abstractmethod
    def _set_collection_writers(self, name: str, roles: list[str] | None) -> list[str] | None:
        ...

    @abc.abstractmethod
    def _register_dataset_type(
        self, name: str, dimensions: tuple[str, ...], is_calibration: bool
    ) -> bool: ...

    @abc.abstractmethod
    def _list_dataset_types(self) -> list[DatasetTypeInfo]: ...

    @abc.abstractmethod
    def _insert_datasets(
        self, dataset_type: str, run: str, data_ids: list[dict[str, Any]],
        ids: list[uuid.UUID] | None,
    ) -> list[DatasetRef]: ...

    @abc.abstractmethod
    def _get_datasets(self, ids: list[uuid.UUID]) -> list[DatasetRef]: ...

    @abc.abstractmethod
    def _query_datasets(
        self, collection: str, dataset_type: str, where: dict[str, Any] | None
    ) -> list[DatasetRef]: ...

    @abc.abstractmethod
    def _tag(self, collection: str, ids: list[uuid.UUID]) -> int: ...

    @abc.abstractmethod
    def _untag(self, collection: str, ids: list[uuid.UUID]) -> int: ...

    @abc.abstractmethod
    def _certify(
        self, collection: str, ids: list[uuid.UUID], timespan: Timespan, close_open: bool
    ) -> int: ...

    @abc.abstractmethod
    def _certify_series(
        self, collection: str, ids: list[uuid.UUID], begins: list[datetime | None],
        close_open: bool,
    ) -> int: ...

    @abc.abstractmethod
    def _decertify(
        self, collection: str, dataset_type: str, timespan: Timespan,
        data_ids: list[dict[str, Any]] | None,
    ) -> int: ...

    @abc.abstractmethod
    def _close_open_range(
        self, collection: str, dataset_type: str, end: datetime,
        data_ids: list[dict[str, Any]] | None,
    ) -> int: ...

    @abc.abstractmethod
    def _find_many(
        self, collection: str, dataset_type: str, data_ids: list[dict[str, Any]],
        times: list[At],
    ) -> list[DatasetRef | None]: ...

    def _find_many_batch(
        self, collection: str, dataset_type: str, batch: DataIdBatch, times: list[At],
    ) -> list[DatasetRef | None]:
        """find_many's primitive: a backend may use the batch's distinct data IDs (the
        PostgreSQL backend encodes each once); by default, one data ID per query."""
        return self._find_many(collection, dataset_type, batch.expanded(), times)

    @abc.abstractmethod
    def _certifications(self, collection: str, dataset_type: str | None) -> list[Certification]: ...

    @abc.abstractmethod
    def _check_integrity(self) -> list[IntegrityProblem]: ...

    @abc.abstractmethod
    def _collection_stats(self) -> list[CollectionStats]: ...

    @abc.abstractmethod
    def _collection_digest(self, collection: str) -> str: ...

    def _find(
        self, collection: str, dataset_type: str, data_id: dict[str, Any], at: At
    ) -> DatasetRef | None:
        # One lookup; a backend may override this with a cheaper single-row path.
        return self._find_many(collection, dataset_type, [data_id], [at])[0]
