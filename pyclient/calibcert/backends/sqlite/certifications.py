"""certifications (twins sql/functions/certifications.sql; no difference)."""

from __future__ import annotations

import json
from typing import Any

from ...types import (
    Certification,
    DatasetRef,
)
from .catalog import Catalog
from .values import (
    _timespan,
    _uuid,
)


class Certifications(Catalog):
    def _certifications(self, collection: str, dataset_type: str | None) -> list[Certification]:
        with self._read():
            coll = self._collection(collection)
            tid = None if dataset_type is None else self._dataset_type(dataset_type).id
            out: list[Certification] = []
            values: dict[int, dict[str, Any]] = {}
            for m in self._search_members(coll.id):
                if m.type != "CALIBRATION":
                    continue
                if m.epoch is not None:  # a snapshot's source, as of its epoch
                    out.extend(self._member_certifications(  # type: ignore[attr-defined]
                        m, tid, values))
                    continue
                for r in self._conn.execute(
                        "SELECT c.dataset_id, c.data_id_key, t.name AS type, di.value,"
                        " r.name AS run, c.begin_us, c.end_us"
                        " FROM certification AS c"
                        " CROSS JOIN dataset_type AS t ON t.dataset_type_id = c.dataset_type_id"
                        " CROSS JOIN data_id AS di ON di.data_id_key = c.data_id_key"
                        " CROSS JOIN collection AS r ON r.collection_id = c.run_id"
                        " WHERE c.collection_id = :cid"
                        "   AND (:tid IS NULL OR c.dataset_type_id = :tid)"
                        " ORDER BY t.name, c.data_id_key, c.begin_us",
                        {"cid": m.id, "tid": tid}):
                    value = values.get(r["data_id_key"])
                    if value is None:
                        value = values[r["data_id_key"]] = json.loads(r["value"])
                    ref = DatasetRef(_uuid(r["dataset_id"]), r["type"], dict(value), r["run"])
                    out.append(Certification(ref, _timespan(r["begin_us"], r["end_us"]),
                                             m.name))
            return out
