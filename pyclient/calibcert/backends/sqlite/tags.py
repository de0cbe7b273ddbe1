"""TAGGED membership (twins sql/functions/tag.sql and untag.sql; no difference but the
serialized writer)."""

from __future__ import annotations

import json
import uuid

from .catalog import _Coll
from .states import States
from .values import (
    _err,
    _uuid,
)


class Tags(States):
    def _tag(self, collection: str, ids: list[uuid.UUID]) -> int:
        with self._write(op="tag"):
            coll = self._collection(collection, ("TAGGED",))
            self._stage_ids(ids)
            self._resolve()
            self._check_change(coll, "tag")
            self._check_tag_clash(coll)
            return self._conn.execute(
                "INSERT INTO tag (collection_id, dataset_type_id, data_id_key, dataset_id, run_id)"
                " SELECT DISTINCT ?, i.t, i.k, i.id, i.r FROM _item AS i"
                " WHERE NOT EXISTS (SELECT 1 FROM tag AS g"
                "                   WHERE g.collection_id = ? AND g.data_id_key = i.k)",
                (coll.id, coll.id)).rowcount

    def _check_tag_clash(self, coll: _Coll) -> None:
        """KC010: two datasets of one (type, data ID) in the call, or one already tagged.
        Of several, as in SQL: clashes within the call first, then by key and ids."""
        clash = self._one(
            "SELECT k, min(id) AS id FROM (SELECT DISTINCT k, id FROM _item) GROUP BY k"
            " HAVING count(*) > 1 ORDER BY k LIMIT 1")
        if clash is not None:
            other = self._one("SELECT min(id) AS id FROM _item WHERE k = ? AND id > ?",
                              (clash["k"], clash["id"]))
            a, b, k = clash["id"], other["id"], clash["k"]
        else:
            clash = self._one(
                "SELECT i.id, g.dataset_id AS other, i.k FROM _item AS i CROSS JOIN tag AS g"
                " ON g.collection_id = ? AND g.data_id_key = i.k AND g.dataset_id <> i.id"
                " ORDER BY i.k, i.id, g.dataset_id LIMIT 1", (coll.id,))
            if clash is None:
                return
            a, b, k = clash["id"], clash["other"], clash["k"]
        row = self._one("SELECT di.value, t.name FROM data_id AS di"
                        " JOIN dataset_type AS t ON t.dataset_type_id = di.dataset_type_id"
                        " WHERE di.data_id_key = ?", (k,))
        value = json.loads(row["value"])
        raise _err("tag_clash", collection=coll.name, dataset_type=row["name"], data_id=value,
                   dataset=str(_uuid(a)), conflicting_dataset=str(_uuid(b)))

    def _untag(self, collection: str, ids: list[uuid.UUID]) -> int:
        with self._write(op="untag"):
            coll = self._collection(collection, ("TAGGED",))
            self._stage_ids(ids)
            self._resolve()
            self._check_change(coll, "untag")
            return self._conn.execute(
                "DELETE FROM tag WHERE collection_id = ? AND dataset_id IN (SELECT id FROM _item)",
                (coll.id,)).rowcount
