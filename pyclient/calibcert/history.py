"""History and time travel in the client (README "History and time travel"): epochs,
as-of arguments and ``history()``.

:class:`HistoryMixin` gives :class:`calibcert.registry.Registry` its public history methods
and the backend primitives behind them, which both backends implement
(backends/postgres_history.py; backends/sqlite/epochs.py, as_of.py, history.py), with the
same answers (tests/test_behaviour_history.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import InvalidArgumentError, error
from .types import Certification, CollectionInfo, DatasetRef, Timespan, lookup_name, to_utc

#: ``find``'s time (as calibcert.registry.At, which imports this module).
At = datetime | Timespan | None


@dataclass(frozen=True)
class HistoryRow:
    """One row of ``history()``, oldest first (see ``calib.history``).

    ``epoch`` is None only for the caller's own uncommitted change (inside its transaction).
    For a certification: ``dataset_type``, ``data_id``, ``dataset_id`` and the validity
    before/after (certify: before None; removal: after None; shortened or split: both). For
    a tag or a RUN's dataset: the same with both validities None and ``detail`` saying what
    (``{"what": "tag", "tagged": bool}``, ``{"what": "dataset", "present": bool}``). For the
    collection itself (``{"what": "collection", "before": ..., "after": ...}``) and a chain
    position (``{"what": "chain", "position": n, "child_before": ..., "child_after": ...}``)
    the dataset columns are None."""

    epoch: int | None
    committed_at: datetime | None
    db_role: str | None
    app_user: str | None
    reason: str | None
    operation: str
    collection: str
    dataset_type: str | None
    data_id: dict[str, Any] | None
    dataset_id: Any
    validity_before: Timespan | None
    validity_after: Timespan | None
    detail: dict[str, Any] | None
    #: The change's request id (``reg.transaction(request_id=...)``), None without one.
    request_id: str | None = None


@dataclass(frozen=True)
class RevertRow:
    """One row of ``revert()``: what reverting a change does (or, in a dry run, would do),
    in the order it is done (see ``calib._revert_actions``). ``action`` is one of
    ``remove certification``, ``restore certification``, ``remove tag``, ``restore tag``,
    ``remove dataset``, ``restore dataset``, ``remove chain position``, ``restore chain
    position``, ``remove collection``, ``restore collection``, ``restore collection
    settings``. Dataset rows carry ``dataset_type``, ``data_id``, ``dataset`` (and the
    ``validity`` of a certification); ``detail`` is ``{"position", "child"}`` for a chain
    position, ``{"type", "state", "writers"}`` (the values restored) for a collection."""

    action: str
    collection: str
    dataset_type: str | None
    data_id: dict[str, Any] | None
    dataset: Any
    validity: Timespan | None
    detail: dict[str, Any] | None


def check_epoch(value: Any, what: str = "as_of") -> int | None:
    """An epoch argument: None (now) or a non-negative int (bool refused)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{what} must be an epoch (an int), not {type(value).__name__}")
    return value


def check_request_id(value: Any) -> str:
    """A request id: a non-empty str (its length is checked by the database)."""
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"request_id must be a non-empty str, not {value!r}")
    return value


def request_id_nested() -> InvalidArgumentError:
    """The refusal of a request id inside another transaction (both backends)."""
    return InvalidArgumentError(
        "request_id names a whole transaction: give it to the outermost"
        " reg.transaction(), outside any other transaction")


class HistoryMixin:
    """Public history methods of a Registry, and their backend primitives."""

    def current_epoch(self) -> int:
        """The latest committed epoch (0 before any change). Everything as of it is final:
        pin it, and lookups ``as_of`` it answer the same whatever commits later."""
        return self._current_epoch()

    def epoch_at(self, instant: datetime) -> int:
        """The last epoch committed at or before ``instant`` (an aware datetime)."""
        return self._epoch_at(to_utc(instant, "instant"))

    def history(self, collection: str, dataset_type: str | None = None,
                data_id: dict[str, Any] | None = None, since: int | None = None,
                until: int | None = None) -> list[HistoryRow]:
        """The changes of ``collection`` (also a removed one), oldest first: who, when, why
        and what (:class:`HistoryRow`), optionally narrowed to one dataset type / data ID
        and to epochs in ``[since, until]``."""
        return self._history(lookup_name(collection, "collection name"),
                             lookup_name(dataset_type, "dataset type name"), data_id,
                             check_epoch(since, "since"), check_epoch(until, "until"))

    def prune_history(self, before: int) -> int:
        """Drop the history older than epoch ``before`` (README "Retention and request
        ids"; the admin role): as-of reads at epochs >= ``before`` answer exactly as before,
        as-of reads and ``history(since=...)`` below it raise InvalidArgumentError
        (``as_of_pruned``). Returns the number of versions dropped."""
        return self._prune_history(check_epoch(before, "before"))

    def revert(self, epoch: int, dry_run: bool = False) -> list[RevertRow]:
        """Undo the change committed as ``epoch`` by committing its inverse as a new change
        (README "Revert"; needs calib_admin): what it created is removed, what it removed or
        changed is restored as it was. Returns what was done (:class:`RevertRow`); with
        ``dry_run`` the same rows and the same checks, and nothing is changed. A later
        change in the way raises RevertConflictError (or ConflictingCertificationError for
        an overlap) and nothing is changed. The change's reason is the registry's
        ``reason``, else ``revert of epoch N``."""
        value = check_epoch(epoch, "epoch")
        if value is None:
            raise error("argument_null", what="epoch")
        if not isinstance(dry_run, bool):
            raise InvalidArgumentError(
                f"dry_run must be a bool, not {type(dry_run).__name__}")
        return self._revert(value, dry_run)

    # -- backend primitives: each backend implements them (NotImplementedError here) ----

    def _prune_history(self, before: int | None) -> int:
        raise NotImplementedError

    def _request_transaction(self, request_id: str) -> Callable[[], AbstractContextManager[None]]:
        """The opener of a top-level transaction carrying ``request_id``."""
        raise NotImplementedError

    def _current_epoch(self) -> int:
        raise NotImplementedError

    def _revert(self, epoch: int, dry_run: bool) -> list[RevertRow]:
        raise NotImplementedError

    def _epoch_at(self, instant: datetime) -> int:
        raise NotImplementedError

    def _history(self, collection: str, dataset_type: str | None,
                 data_id: dict[str, Any] | None, since: int | None,
                 until: int | None) -> list[HistoryRow]:
        raise NotImplementedError

    def _find_many_as_of(self, collection: str, dataset_type: str,
                         data_ids: list[dict[str, Any]], times: list[At],
                         as_of: int) -> list[DatasetRef | None]:
        raise NotImplementedError

    def _certifications_as_of(self, collection: str, dataset_type: str | None,
                              as_of: int) -> list[Certification]:
        raise NotImplementedError

    def _get_chain_as_of(self, parent: str, as_of: int) -> list[str]:
        raise NotImplementedError

    def _list_collections_as_of(self, type: str | None, as_of: int) -> list[CollectionInfo]:
        raise NotImplementedError

    def _collection_digest_as_of(self, collection: str, as_of: int) -> str:
        raise NotImplementedError

    def _query_datasets_as_of(self, collection: str, dataset_type: str,
                              where: dict[str, Any] | None, as_of: int) -> list[DatasetRef]:
        raise NotImplementedError
