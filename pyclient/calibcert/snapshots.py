"""Snapshots in the client (README "Snapshots"): ``snapshot_collection``.

A snapshot is a collection that reads as its source did at an epoch, created without
copying a row and refusing every write. :class:`SnapshotMixin` gives
:class:`calibcert.registry.Registry` the public method; each backend implements its
primitive (backends/postgres_snapshots.py, backends/sqlite/snapshot_collection.py).
"""

from __future__ import annotations

from .history import check_epoch
from .types import check_name, lookup_name


class SnapshotMixin:
    """The public snapshot method of a Registry, and its backend primitive."""

    def snapshot_collection(self, source: str, name: str, as_of: int | None = None) -> int:
        """Create collection ``name`` that reads as ``source`` did at epoch ``as_of``
        (None: the latest committed epoch, so not this transaction's own uncommitted
        changes), in O(1): nothing is copied. It has the source's type, is FROZEN for good
        (every write raises CollectionStateError; an admin may remove it) and answers
        ``find``, ``find_many``, ``certifications``, ``get_chain``, ``collection_digest``
        and lookups through chains as the source did then. ``source`` is the name it had
        then (a collection removed since can be snapshotted as it was). Returns the epoch
        the snapshot reads at."""
        return self._snapshot_collection(lookup_name(source, "collection name"),
                                         check_name(name, "collection name"),
                                         check_epoch(as_of))

    # -- backend primitive ----------------------------------------------------------------

    def _snapshot_collection(self, source: str, name: str, as_of: int | None) -> int:
        raise NotImplementedError
