"""close_open_range (twins sql/functions/close_open_range.sql; no difference but the
serialized writer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
            coll = self._collection(collection, ("CALIBRATION",))
            dtype = self._dataset_type(dataset_type, need_calibration=True)
            keys = self._data_id_keys(dtype, data_ids)
            self._check_change(coll, "close_open_range")
            where = ("collection_id = :cid AND dataset_type_id = :tid AND end_us = :max"
                     " AND (:keys IS NULL OR data_id_key IN (SELECT value FROM json_each(:keys)))")
            params = {"cid": coll.id, "tid": dtype.id, "max": MAX_US, "keys": keys, "end": end_us}
            # How many rows it closes, and the first that begins too late, in one statement.
            bad = self._one(f"SELECT n.n, b.dataset_id, b.data_id_key, b.begin_us"
                            f" FROM (SELECT count(*) AS n FROM certification WHERE {where}) AS n"
                            " LEFT JOIN (SELECT dataset_id, data_id_key, begin_us"
                            f"  FROM certification WHERE {where} AND begin_us >= :end"
                            "  ORDER BY begin_us, data_id_key LIMIT 1) AS b ON 1", params)
            if bad["dataset_id"] is not None:
                data_id = self._data_id_values([bad["data_id_key"]])[bad["data_id_key"]]
                ds = _uuid(bad["dataset_id"])
                raise _err("close_open_range_begins_after", collection=collection,
                           dataset_type=dataset_type, data_id=data_id, dataset=str(ds),
                           timespan=_span_json(bad["begin_us"], MAX_US), end=_ts_text(end_us))
            if not self._versions_by_statement(bad["n"]):
                return self._conn.execute(
                    f"UPDATE certification SET end_us = :end WHERE {where}", params).rowcount
            self._close_versions(where, params, successor=True)
            # The rows become this change's (certification_history_update's last statement,
            # for the rows it records).
            return self._conn.execute(
                "UPDATE certification SET end_us = :end, created_change = :chg_,"
                f" created_operation = :op_ WHERE {where}",
                {**params, "chg_": self._change_id(), "op_": self._operation_label}).rowcount
