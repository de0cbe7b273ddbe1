"""close_open_range (twins sql/functions/close_open_range.sql; no difference but the
serialized writer)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from . import versions
from .connection import _constraint_of
from .states import States
from .values import (
    MAX_US,
    _err,
    _span_json,
    _to_us,
    _ts_text,
    _uuid,
)
from .versions import Versions


class CloseOpenRange(States, Versions):
    def _close_open_range(self, collection: str, dataset_type: str, end: datetime,
                          data_ids: list[dict[str, Any]] | None) -> int:
        end_us = _to_us(end)
        # lazy_op: named once the number of rows is known (versions.py).
        with self._write(op="close_open_range", lazy_op=True):
            coll, dtype = self._collection_and_type(collection, ("CALIBRATION",), dataset_type,
                                                    need_calibration=True)
            keys = self._data_id_keys(dtype, data_ids)
            self._check_change(coll, "close_open_range")
            where = ("collection_id = :cid AND dataset_type_id = :tid AND end_us = :max"
                     " AND (:keys IS NULL OR data_id_key IN (SELECT value FROM json_each(:keys)))")
            params = {"cid": coll.id, "tid": dtype.id, "max": MAX_US, "keys": keys, "end": end_us}
            # Whether it closes any row, and at least STATEMENT_VERSIONS (then it writes the
            # versions itself): counted up to that many only. A row that begins at or after
            # ``end`` is refused by the UPDATE itself (certification_validity_bounds: begin
            # < end), which is then undone with the whole call and told precisely below;
            # the count and that row's search were two scans of every open row before
            # (revision 0018: ~0.24 us a closed row, 4 % of a call of 2,000).
            n = self._one(f"SELECT count(*) FROM (SELECT 1 FROM certification WHERE {where}"
                          f" LIMIT {versions.STATEMENT_VERSIONS})", params)[0]
            if not n:  # nothing to close (nor to refuse): the operation is never named
                return 0
            try:
                if not self._versions_by_statement(n):
                    return self._conn.execute(
                        f"UPDATE certification SET end_us = :end WHERE {where}", params).rowcount
                self._close_versions(where, params, successor=True)
                # The rows become this change's (certification_history_update's last
                # statement, for the rows it records).
                return self._conn.execute(
                    "UPDATE certification SET end_us = :end, created_change = :chg_,"
                    f" created_operation = :op_ WHERE {where}",
                    {**params, "chg_": self._change_id(), "op_": self._operation_label}
                ).rowcount
            except sqlite3.IntegrityError as exc:
                if _constraint_of(exc) != "certification_validity_bounds":
                    raise
                bad = self._one(f"SELECT dataset_id, data_id_key, begin_us FROM certification"
                                f" WHERE {where} AND begin_us >= :end"
                                " ORDER BY begin_us, data_id_key LIMIT 1", params)
                data_id = self._data_id_values([bad["data_id_key"]])[bad["data_id_key"]]
                raise _err("close_open_range_begins_after", collection=collection,
                           dataset_type=dataset_type, data_id=data_id,
                           dataset=str(_uuid(bad["dataset_id"])),
                           timespan=_span_json(bad["begin_us"], MAX_US),
                           end=_ts_text(end_us)) from None
