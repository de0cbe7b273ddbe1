"""The PostgreSQL backend's history primitives (README "History and time travel"): the
as-of overloads of calib.find_many / certifications / get_chain / list_collections /
query_datasets, current_epoch, epoch_at, history. A mixin of
:class:`calibcert.backends.postgres.PostgresRegistry`, which gives it ``_run`` /
``_scalar`` and the row converters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from ..history import At, HistoryRow, RevertRow, request_id_nested
from ..types import Certification, CollectionInfo, DatasetRef, Timespan
from .postgres_rows import _at_range, _collection_info, _ref, _timespan

_FIND_MANY_AS_OF = (
    "SELECT * FROM calib.find_many(p_collection => %(c)s::text,"
    " p_dataset_type => %(t)s::text, p_data_ids => %(d)s::jsonb[],"
    " p_timespans => %(s)s::tstzrange[], p_as_of => %(e)s::bigint)")


class PostgresHistory:
    """History primitives; mixed into PostgresRegistry (uses its _run, _scalar)."""

    _run: Any
    _scalar: Any
    _execute: Any
    _transaction: Any
    _in_transaction: Any

    def _prune_history(self, before: int | None) -> int:
        return self._scalar("SELECT calib.prune_history(p_before => %(b)s::bigint)",
                            {"b": before})

    def _request_transaction(self, request_id: str) -> Callable[[], AbstractContextManager[None]]:
        # The id names one change, i.e. one top-level transaction: set transaction-locally
        # (set_config(..., true)) as its first statement, so that every mutating call in it
        # is recorded under the id (or replays the committed change's results in order).
        @contextmanager
        def opened() -> Iterator[None]:
            if self._in_transaction():
                raise request_id_nested()
            with self._transaction():
                self._execute("SELECT pg_catalog.set_config('calib.request_id', %(r)s::text,"
                              " true)", {"r": request_id})
                yield

        return opened

    def _current_epoch(self) -> int:
        return self._scalar("SELECT calib.current_epoch()", {})

    def _epoch_at(self, instant: datetime) -> int:
        return self._scalar("SELECT calib.epoch_at(p_instant => %(i)s::timestamptz)",
                            {"i": instant})

    def _find_many_as_of(self, collection: str, dataset_type: str,
                         data_ids: list[dict[str, Any]], times: list[At],
                         as_of: int) -> list[DatasetRef | None]:
        rows = self._run(_FIND_MANY_AS_OF, {
            "c": collection, "t": dataset_type, "d": [Jsonb(d) for d in data_ids],
            "s": [_at_range(t) for t in times], "e": as_of})
        return [None if r["dataset_id"] is None else _ref(r) for r in rows]

    def _certifications_as_of(self, collection: str, dataset_type: str | None,
                              as_of: int) -> list[Certification]:
        rows = self._run(
            "SELECT * FROM calib.certifications(p_collection => %(c)s::text,"
            " p_dataset_type => %(t)s::text, p_as_of => %(e)s::bigint)",
            {"c": collection, "t": dataset_type, "e": as_of})
        return [Certification(_ref(r), _timespan(r["validity"]), r["collection"]) for r in rows]

    def _get_chain_as_of(self, parent: str, as_of: int) -> list[str]:
        return self._scalar(
            "SELECT calib.get_chain(p_parent => %(p)s::text, p_as_of => %(e)s::bigint)",
            {"p": parent, "e": as_of})

    def _list_collections_as_of(self, type: str | None, as_of: int) -> list[CollectionInfo]:
        return [_collection_info(r) for r in self._run(
            "SELECT * FROM calib.list_collections(p_type => %(t)s::text,"
            " p_as_of => %(e)s::bigint)", {"t": type, "e": as_of})]

    def _collection_digest_as_of(self, collection: str, as_of: int) -> str:
        return self._scalar("SELECT calib.collection_digest(p_collection => %(c)s::text,"
                            " p_as_of => %(e)s::bigint)", {"c": collection, "e": as_of})

    def _query_datasets_as_of(self, collection: str, dataset_type: str,
                              where: dict[str, Any] | None, as_of: int) -> list[DatasetRef]:
        return [_ref(r) for r in self._run(
            "SELECT * FROM calib.query_datasets(p_collection => %(c)s::text,"
            " p_dataset_type => %(t)s::text, p_where => %(w)s::jsonb, p_as_of => %(e)s::bigint)",
            {"c": collection, "t": dataset_type, "w": None if where is None else Jsonb(where),
             "e": as_of})]

    def _history(self, collection: str, dataset_type: str | None,
                 data_id: dict[str, Any] | None, since: int | None,
                 until: int | None) -> list[HistoryRow]:
        rows = self._run(
            "SELECT * FROM calib.history(p_collection => %(c)s::text,"
            " p_dataset_type => %(t)s::text, p_data_id => %(d)s::jsonb,"
            " p_since => %(a)s::bigint, p_until => %(b)s::bigint)",
            {"c": collection, "t": dataset_type,
             "d": None if data_id is None else Jsonb(data_id), "a": since, "b": until})
        return [HistoryRow(
            r["epoch"], r["committed_at"], r["db_role"], r["app_user"], r["reason"],
            r["operation"], r["collection"], r["dataset_type"], r["data_id"], r["dataset_id"],
            _span(r["validity_before"]), _span(r["validity_after"]), r["detail"],
            r["request_id"])
            for r in rows]

    def _revert(self, epoch: int, dry_run: bool) -> list[RevertRow]:
        rows = self._run(
            "SELECT * FROM calib.revert(p_epoch => %(e)s::bigint, p_dry_run => %(d)s::boolean)",
            {"e": epoch, "d": dry_run})
        return [RevertRow(r["action"], r["collection"], r["dataset_type"], r["data_id"],
                          r["dataset"], _span(r["validity"]), r["detail"]) for r in rows]


def _span(value: Any) -> Timespan | None:
    return None if value is None else _timespan(value)
