"""Dataset types and datasets (twins sql/functions/register_dataset_type.sql,
list_dataset_types.sql, insert_datasets.sql, get_datasets.sql, query_datasets.sql; differs by
necessity: data IDs are interned in jsonb order by hand, chunk by chunk as the PostgreSQL
client sends them, since SQLite has no jsonb ordering)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ...types import (
    DatasetRef,
    DatasetTypeInfo,
)
from .as_of import VISIBLE
from .catalog import _Coll, _DataIds, _Type
from .states import States
from .values import (
    BULK_ROWS,
    PG_CHUNK,
    _err,
    _first_repeated,
    _uuid,
)

#: What a RUN / TAGGED member of :members holds of dataset type :tid (the first member holding
#: a data ID decides; calib.query_datasets).
_HELD_NOW = """
WITH m (pos, cid, typ) AS (
    SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]')
    FROM json_each(:members)
), hits (pos, dataset_id, k, run_id) AS (
    SELECT m.pos, d.dataset_id, d.data_id_key, d.run_id FROM m
    CROSS JOIN dataset AS d ON d.run_id = m.cid AND d.dataset_type_id = :tid
    WHERE m.typ = 'RUN'
    UNION ALL
    SELECT m.pos, g.dataset_id, g.data_id_key, g.run_id FROM m
    CROSS JOIN tag AS g ON g.collection_id = m.cid AND g.dataset_type_id = :tid
    WHERE m.typ = 'TAGGED'
), firsts AS (
    -- SQLite takes the bare columns from the row holding min(pos).
    SELECT k, dataset_id, run_id, min(pos) FROM hits GROUP BY k
)
SELECT f.dataset_id, di.value, r.name AS run FROM firsts AS f
CROSS JOIN data_id AS di ON di.data_id_key = f.k
CROSS JOIN collection AS r ON r.collection_id = f.run_id
ORDER BY f.k
"""

#: The same with each member read at its own epoch (its third item): the versions visible
#: then (as_of.py VISIBLE), or the current rows where it is NULL (a current read through a
#: snapshot member). The RUN by its name at its member's epoch (a RUN is never renamed,
#: and is not removed while it has datasets: its current name where it has no epoch).
_HELD_AS_OF = f"""
WITH m (pos, cid, typ, e) AS (
    SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]'),
           json_extract(value, '$[2]')
    FROM json_each(:members)
), hits (pos, dataset_id, k, run_id, e) AS (
    SELECT m.pos, d.dataset_id, d.data_id_key, d.run_id, m.e FROM m
    CROSS JOIN dataset_version AS d ON d.run_id = m.cid AND d.dataset_type_id = :tid
    WHERE m.typ = 'RUN' AND m.e IS NOT NULL AND {VISIBLE('d', 'm.e')}
    UNION ALL
    SELECT m.pos, g.dataset_id, g.data_id_key, g.run_id, m.e FROM m
    CROSS JOIN tag_version AS g ON g.collection_id = m.cid AND g.dataset_type_id = :tid
    WHERE m.typ = 'TAGGED' AND m.e IS NOT NULL AND {VISIBLE('g', 'm.e')}
    UNION ALL
    SELECT m.pos, d.dataset_id, d.data_id_key, d.run_id, NULL FROM m
    CROSS JOIN dataset AS d ON d.run_id = m.cid AND d.dataset_type_id = :tid
    WHERE m.typ = 'RUN' AND m.e IS NULL
    UNION ALL
    SELECT m.pos, g.dataset_id, g.data_id_key, g.run_id, NULL FROM m
    CROSS JOIN tag AS g ON g.collection_id = m.cid AND g.dataset_type_id = :tid
    WHERE m.typ = 'TAGGED' AND m.e IS NULL
), firsts AS (
    -- SQLite takes the bare columns from the row holding min(pos).
    SELECT k, dataset_id, run_id, e, min(pos) FROM hits GROUP BY k
)
SELECT f.dataset_id, di.value,
       coalesce((SELECT r.name FROM collection_version AS r
                 WHERE r.collection_id = f.run_id AND {VISIBLE('r', 'f.e')}),
                (SELECT r.name FROM collection AS r WHERE r.collection_id = f.run_id)) AS run
FROM firsts AS f
CROSS JOIN data_id AS di ON di.data_id_key = f.k
ORDER BY f.k
"""

class Datasets(States):
    #: _ins: insert_datasets' new datasets (id, canonical data ID, interning rank, key).
    TEMP_TABLES = (
        "CREATE TEMP TABLE IF NOT EXISTS _ins (ord INTEGER PRIMARY KEY, id BLOB, v TEXT,"
        " rank INTEGER, k INTEGER)",
    )

    # -- dataset types and datasets ----------------------------------------------------

    def _register_dataset_type(self, name: str, dimensions: tuple[str, ...],
                               is_calibration: bool) -> bool:
        with self._write(op="register_dataset_type"):
            row = self._one("SELECT dimensions, is_calibration FROM dataset_type WHERE name = ?",
                            (name,))
            if row is not None:
                dims = tuple(json.loads(row["dimensions"]))
                is_cal = bool(row["is_calibration"])
                if dims != tuple(dimensions) or is_cal != is_calibration:
                    raise _err("dataset_type_exists_as", dataset_type=name,
                               dimensions=list(dims), is_calibration=is_cal)
                return False
            self._conn.execute(
                "INSERT INTO dataset_type (name, dimensions, is_calibration) VALUES (?, ?, ?)",
                (name, json.dumps(list(dimensions)), int(is_calibration)))
            return True

    def _list_dataset_types(self) -> list[DatasetTypeInfo]:
        rows = self._q("SELECT name, dimensions, is_calibration FROM dataset_type ORDER BY name")
        return [DatasetTypeInfo(r["name"], tuple(json.loads(r["dimensions"])),
                                bool(r["is_calibration"])) for r in rows]

    def _insert_datasets(self, dataset_type: str, run: str, data_ids: list[dict[str, Any]],
                         ids: list[uuid.UUID] | None) -> list[DatasetRef]:
        # An empty batch still checks the dataset type and the RUN (as PostgreSQL does).
        with self._write(op="insert_datasets", bulk=len(data_ids) >= BULK_ROWS):
            dtype = self._dataset_type(dataset_type)
            coll = self._collection(run, ("RUN",))
            enc = self._encoder(dtype)
            new_dimensions = enc.fix(data_ids)  # first use fixes a dimension's type
            texts = enc.texts(data_ids)
            if ids is None:
                ids = [uuid.uuid4() for _ in texts]
            self._check_new_datasets(dataset_type, run, data_ids, texts, ids)
            self._check_change(coll, "insert_datasets")
            self._stage_datasets(enc, data_ids, texts, ids)
            self._check_existing_datasets(dtype, coll, ids)
            # Every rule holds: store the types of new dimensions, intern the new data IDs
            # (in the PostgreSQL client's order), then store the datasets.
            self._conn.executemany("INSERT OR IGNORE INTO dimension (name, value_type)"
                                   " VALUES (?, ?)", new_dimensions)
            self._conn.execute(
                "INSERT INTO data_id (dataset_type_id, value)"
                " SELECT ?, v FROM _ins WHERE k IS NULL ORDER BY rank", (dtype.id,))
            self._conn.execute(
                "UPDATE _ins SET k = (SELECT di.data_id_key FROM data_id AS di"
                " WHERE di.dataset_type_id = ? AND di.value = _ins.v) WHERE k IS NULL", (dtype.id,))
            self._conn.execute(
                "INSERT INTO dataset (dataset_id, dataset_type_id, data_id_key, run_id)"
                " SELECT id, ?, k, ? FROM _ins ORDER BY ord", (dtype.id, coll.id))
        return [DatasetRef(u, dataset_type, dict(d), run)
                for u, d in zip(ids, data_ids, strict=True)]

    @staticmethod
    def _check_new_datasets(dataset_type: str, run: str, data_ids: list[dict[str, Any]],
                            texts: list[str], ids: list[uuid.UUID]) -> None:
        """Rules within the call: no data ID twice, no id twice (KC010). Of several
        repeated values, the one that first appears earliest is named (as in SQL)."""
        i = _first_repeated(texts)
        if i is not None:
            d = data_ids[i]
            raise _err("data_id_repeated", dataset_type=dataset_type, data_id=d,
                       collection=run)
        i = _first_repeated(ids)
        if i is not None:
            raise _err("dataset_id_repeated", dataset=str(ids[i]))

    def _stage_datasets(self, enc: _DataIds, data_ids: list[dict[str, Any]], texts: list[str],
                        ids: list[uuid.UUID]) -> None:
        """Fill _ins with (ord, id, canonical text, interning rank, known key)."""
        rank = [0] * len(texts)
        for start in range(0, len(texts), PG_CHUNK):
            chunk = sorted(range(start, min(start + PG_CHUNK, len(texts))),
                           key=lambda i: enc.jsonb_sort_key(data_ids[i]))
            for r, i in enumerate(chunk, start):
                rank[i] = r
        self._conn.execute("DELETE FROM _ins")
        self._conn.executemany("INSERT INTO _ins (ord, id, v, rank) VALUES (?, ?, ?, ?)",
                               ((i, u.bytes, v, r)
                                for i, (u, v, r) in enumerate(zip(ids, texts, rank, strict=True),
                                                              1)))
        self._conn.execute(
            "UPDATE _ins SET k = (SELECT di.data_id_key FROM data_id AS di"
            " WHERE di.dataset_type_id = ? AND di.value = _ins.v)", (enc.dtype.id,))

    def _check_existing_datasets(self, dtype: _Type, coll: _Coll, ids: list[uuid.UUID]) -> None:
        """Rules against stored datasets: an id already used, a data ID already in the RUN."""
        row = self._one("SELECT i.id FROM _ins AS i CROSS JOIN dataset AS d ON d.dataset_id = i.id"
                        " ORDER BY i.id LIMIT 1")
        if row is not None:
            u = _uuid(row["id"])
            raise _err("dataset_id_exists", dataset=str(u))
        row = self._one("SELECT i.v FROM _ins AS i CROSS JOIN dataset AS d"
                        " ON d.run_id = ? AND d.data_id_key = i.k ORDER BY i.k LIMIT 1",
                        (coll.id,))
        if row is not None:
            dup = json.loads(row["v"])
            raise _err("run_data_id_exists", collection=coll.name, dataset_type=dtype.name,
                       data_id=dup)

    def _get_datasets(self, ids: list[uuid.UUID]) -> list[DatasetRef]:
        with self._read():
            self._stage_ids(ids)
            self._resolve()
            rows = self._q(
                "SELECT i.id, t.name AS type, di.value, r.name AS run FROM _item AS i"
                " CROSS JOIN dataset AS d ON d.dataset_id = i.id"
                " CROSS JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
                " CROSS JOIN data_id AS di ON di.data_id_key = d.data_id_key"
                " CROSS JOIN collection AS r ON r.collection_id = d.run_id ORDER BY i.ord")
        return [DatasetRef(_uuid(r["id"]), r["type"], json.loads(r["value"]), r["run"])
                for r in rows]

    def _query_datasets(self, collection: str, dataset_type: str,
                        where: dict[str, Any] | None) -> list[DatasetRef]:
        return self._query(collection, dataset_type, where, None)

    def _query_datasets_as_of(self, collection: str, dataset_type: str,
                              where: dict[str, Any] | None, as_of: int) -> list[DatasetRef]:
        """The as-of form of calib.query_datasets: the same rule on the collections,
        chains, datasets and tags visible at the epoch (as_of.py's VISIBLE)."""
        return self._query(collection, dataset_type, where, as_of)

    def _query(self, collection: str, dataset_type: str, where: dict[str, Any] | None,
               as_of: int | None) -> list[DatasetRef]:
        with self._read():
            epoch = None
            if as_of is None:
                coll = self._collection(collection, ("RUN", "TAGGED", "CHAINED"))
            else:
                epoch = self._as_of(as_of)  # type: ignore[attr-defined]
                coll = self._collection_as_of(  # type: ignore[attr-defined]
                    collection, epoch, ("RUN", "TAGGED", "CHAINED"))
            dtype = self._dataset_type(dataset_type)
            if where is not None:
                # calib._canonical_where: a key that is not a dimension, and a value of the
                # other type than its dimension's, are errors, not an empty result.
                unexpected = sorted(set(where) - set(dtype.dimensions))
                if unexpected:
                    raise _err("data_id_dimensions", dataset_type=dataset_type,
                               data_id=where, dimensions=list(dtype.dimensions), missing=[],
                               unexpected=unexpected)
                types = self._dimension_types(where)
                for k, v in where.items():
                    t = types.get(k)
                    if t is not None and (t == "string") != isinstance(v, str):
                        raise _err("data_id_value_type", dataset_type=dataset_type,
                                   data_id=where, dimension=k, value_type=t, value=v)
            path = (self._search_members(coll.id) if epoch is None
                    else self._search_path_as_of(coll.id, epoch))  # type: ignore[attr-defined]
            members = [[m.id, m.type, m.epoch] for m in path]
            if all(m.epoch is None for m in path):
                rows = self._q(_HELD_NOW, {"members": json.dumps(members), "tid": dtype.id})
            else:  # as of an epoch, or through a snapshot (its source as of its epoch)
                rows = self._q(_HELD_AS_OF, {"members": json.dumps(members), "tid": dtype.id})
        out = []
        for r in rows:
            value = json.loads(r["value"])
            # jsonb containment (value @> where) of flat objects of strings and integers.
            if where is None or all(k in value and value[k] == v
                                    and isinstance(value[k], str) == isinstance(v, str)
                                    for k, v in where.items()):
                out.append(DatasetRef(_uuid(r["dataset_id"]), dataset_type, value, r["run"]))
        return out
