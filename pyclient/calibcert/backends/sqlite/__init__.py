"""SQLite fallback backend: the PostgreSQL functions' semantics, in Python, on one file.

Every operation does what the ``calib.*`` function of the same name does (sql/functions is
the specification; each module here twins the SQL files it names, see TWINS): the same
checks in the same order, the same exception classes, the same messages and the same
``details`` (built with the keys the SQL puts into its DETAIL JSON and passed through
:func:`calibcert.errors.normalize_details`), the same orders of results (data IDs interned
in the order PostgreSQL gives jsonb values), so that a caller cannot tell the backends
apart through the Python API. tests/test_sqlite_backend.py compares the two outcome by
outcome, messages included.

Transaction model
    The connection runs in autocommit mode (``isolation_level=None``); this module issues
    BEGIN / COMMIT / ROLLBACK itself. Each mutating call is one ``BEGIN IMMEDIATE``
    transaction: it takes the file's write lock first, waiting at most ``busy_timeout``
    seconds (default 10; then ``LockTimeoutError``, nothing changed), then checks every
    rule, then writes. A failing call changes nothing. Inside
    :meth:`SqliteRegistry.transaction` (itself the ``BEGIN IMMEDIATE``) each call runs in a
    SAVEPOINT, so a failing call is undone alone and the outer transaction stays usable;
    nested ``transaction()`` blocks are savepoints too. Lookups read one snapshot (a
    deferred transaction when they need several statements) and never wait for the writer
    (WAL). Bulk statements whose rows are copies of rows just read under the write lock
    (certify, certify_series and insert_datasets of 1,000 rows or more, copy_collection)
    run with the per-row foreign-key lookups off when they are the outermost transaction;
    every other write has them on (``PRAGMA foreign_keys``).

Storage
    Tables mirror sql/schema/tables.sql (migrations/versions/0001_initial.sqlite.sql):
    interned data IDs (one integer key per dataset type and canonical JSON text), UUIDs as
    16-byte blobs, times as integer microseconds since the Unix epoch in UTC. An unbounded
    side is a sentinel, not NULL: ``begin_us = -2**63`` (unbounded below), ``end_us =
    2**63 - 1`` (unbounded above), so that an overlap test is two integer comparisons.
    Certifications are clustered by (collection, data-ID key, begin): checking a new span
    against the stored ones, or finding the one valid at an instant, is a single index
    probe. Tags and certifications repeat their dataset's RUN (checked by their foreign
    key), so a lookup names the RUN without visiting the dataset. Table catalog_version
    counts changes of collections, chains and dataset types (by triggers); a registry
    caches names and search paths and each lookup re-reads the counter in its own
    statement, so a single ``find`` is one statement.

Capabilities that differ from PostgreSQL (none changes a result through the Python API):
    * no SQL API for other services: the rules live in this module, not in the database;
      there are no SQL functions to call, and no roles or grants.
    * one writer at a time per file: every mutating call serializes on the file's write
      lock (PostgreSQL lets writers of different collections proceed in parallel).
    * lock waits bounded by the busy timeout (``connect(url, busy_timeout=seconds)``), not
      by ``lock_timeout``; both surface as ``LockTimeoutError``.
    * no-overlap checked by the serialized writer, not by an exclusion constraint: raw SQL
      written into the file by other programs bypasses it (the primary key still refuses
      two certifications of one key with the same begin), and SQLite applies foreign keys
      only on connections that turn them on.
    * local files only: no network access, no hot standby or replication; readers in other
      processes on the same machine are fine (WAL).
    * durability: WAL with ``synchronous=NORMAL`` by default: a committed call survives a
      crash of the process, but the last commits may be lost on power failure or an OS
      crash (``connect(url, synchronous="FULL")`` trades speed for that).
    * one thread per registry: a registry (one sqlite3 connection) is used by the thread
      that opened it; open one per thread or process.

Layout: one module per operation family, named like its SQL twin in sql/functions (TWINS
below maps every public SQL function to its module; tests/test_sqlite_twins.py checks it):
values (how the SQL holds and prints values), connection (transactions, locks, caches),
catalog (the private helpers _collection, _dataset_type, _flatten, _canonical_data_ids,
_data_id_keys, _resolve_datasets), then collections, datasets, tags, certify, decertify,
close_open_range, lookup, certifications, check_integrity, collection_stats,
collection_digest, and history: epochs (the change of a write transaction, its seal, the
epoch readers), versions (closed certification versions written per statement by
decertify and close_open_range), as_of (as-of lookups), history, explain, prune_history
(retention), request (request ids around every mutating call), snapshot_collection, revert
(with revert_actions: what a revert does and how its conflicts are named).
:class:`SqliteRegistry` is their mixins in one class.
"""

from __future__ import annotations

from .as_of import AsOf
from .certifications import Certifications
from .certify import Certify
from .check_integrity import CheckIntegrity
from .close_open_range import CloseOpenRange
from .collection_digest import CollectionDigest
from .collection_stats import CollectionStatistics
from .collections import Collections
from .connection import SqliteConnection
from .datasets import Datasets
from .decertify import Decertify
from .explain import Explain
from .history import History
from .lookup import Lookup
from .prune_history import PruneHistory
from .request import Requests, with_request_ids
from .revert import Revert
from .snapshot_collection import SnapshotCollection
from .tags import Tags

__all__ = ["POSTGRES_ONLY", "TWINS", "SqliteRegistry"]

_PKG = __name__

#: Every public function of sql/functions and the module of this package that twins it
#: (the module defines the operation as method ``_<name>`` of its mixin).
TWINS: dict[str, str] = {
    "register_collection": f"{_PKG}.collections",
    "set_chain": f"{_PKG}.collections",
    "get_chain": f"{_PKG}.collections",
    "remove_collection": f"{_PKG}.collections",
    "list_collections": f"{_PKG}.collections",
    "copy_collection": f"{_PKG}.collections",
    "set_collection_state": f"{_PKG}.states",
    "set_collection_writers": f"{_PKG}.states",
    "register_dataset_type": f"{_PKG}.datasets",
    "list_dataset_types": f"{_PKG}.datasets",
    "insert_datasets": f"{_PKG}.datasets",
    "get_datasets": f"{_PKG}.datasets",
    "query_datasets": f"{_PKG}.datasets",
    "tag": f"{_PKG}.tags",
    "untag": f"{_PKG}.tags",
    "certify": f"{_PKG}.certify",
    "certify_series": f"{_PKG}.certify",
    "decertify": f"{_PKG}.decertify",
    "close_open_range": f"{_PKG}.close_open_range",
    "find": f"{_PKG}.lookup",
    "find_many": f"{_PKG}.lookup",
    "certifications": f"{_PKG}.certifications",
    "check_integrity": f"{_PKG}.check_integrity",
    "collection_stats": f"{_PKG}.collection_stats",
    "collection_digest": f"{_PKG}.collection_digest",
    "current_epoch": f"{_PKG}.epochs",
    "epoch_at": f"{_PKG}.epochs",
    "history": f"{_PKG}.history",
    "explain": f"{_PKG}.explain",
    "prune_history": f"{_PKG}.prune_history",
    "snapshot_collection": f"{_PKG}.snapshot_collection",
    "revert": f"{_PKG}.revert",
}

#: Public SQL functions with no SQLite twin, each with the reason (none today: every
#: operation of API.md exists on both backends).
POSTGRES_ONLY: dict[str, str] = {
    "probe": "the lookup rule on internal ids, granted to services that prepare their own SQL"
             " lookups on PostgreSQL; SQLite has no SQL API, and its twin of the rule itself"
             " is lookup.py (_decide)",
}


@with_request_ids  # every mutating call takes part in request ids (request.py)
class SqliteRegistry(Collections, Datasets, Tags, Certify, Decertify, CloseOpenRange, Lookup,
                     Certifications, CheckIntegrity, CollectionStatistics, CollectionDigest,
                     Explain, AsOf, History, PruneHistory, Requests, SnapshotCollection,
                     Revert, SqliteConnection):
    """A calibcert database in one SQLite file (see the module docstring)."""
