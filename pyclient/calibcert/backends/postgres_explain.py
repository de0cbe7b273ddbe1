"""The PostgreSQL backend's ``explain`` primitive (calib.explain, README "Explain"). A mixin
of :class:`calibcert.backends.postgres.PostgresRegistry`, which gives it ``_run``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from ..explain import ExplainRow
from ..types import Timespan
from .postgres_rows import _range, _timespan

# The typed forms, chosen by the time's kind (an instant, or a timespan; None: either).
_EXPLAIN = ("SELECT * FROM calib.explain(p_collection => %(c)s::text,"
            " p_dataset_type => %(t)s::text, p_data_id => %(d)s::jsonb,"
            " {time} => %(a)s::{cast}, p_as_of => %(e)s::bigint)")
_EXPLAIN_AT = _EXPLAIN.format(time="p_at", cast="timestamptz")
_EXPLAIN_SPAN = _EXPLAIN.format(time="p_timespan", cast="tstzrange")


class PostgresExplain:
    """The explain primitive; mixed into PostgresRegistry (uses its _run)."""

    _run: Any

    def _explain(self, collection: str, dataset_type: str, data_id: dict[str, Any],
                 at: datetime | Timespan | None, as_of: int | None) -> list[ExplainRow]:
        if isinstance(at, Timespan):
            sql, value = _EXPLAIN_SPAN, _range(at)
        else:
            sql, value = _EXPLAIN_AT, at
        rows = self._run(sql, {"c": collection, "t": dataset_type, "d": Jsonb(data_id),
                               "a": value, "e": as_of})
        return [ExplainRow(r["rank"], r["member"], r["member_type"], r["outcome"],
                           r["dataset_id"],
                           None if r["timespan"] is None else _timespan(r["timespan"]),
                           r["epoch"]) for r in rows]
