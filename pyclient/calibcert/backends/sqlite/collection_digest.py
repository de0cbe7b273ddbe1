"""collection_digest (twins sql/functions/collection_digest.sql and _digest_rows.sql): the
same canonical form (README "Collection digests"), built here in Python from the SQLite
tables, so the same content gives the same digest on both backends. No difference but
where the lines are made: times are stored as microseconds (written with calib._ts_text's
format by values._ts_text) and ids as 16 bytes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring as _json_str  # C-accelerated, non-ASCII kept

from .catalog import Catalog
from .values import MAX_US, MIN_US, _ts_text, _uuid

#: The form's version tag: a change of the form is a new tag, never a silent change.
FORMAT = "calibcert-digest-v1"


def _json(value: object) -> str:
    """One JSON text: keys sorted (code point order), no spaces, non-ASCII as itself, only
    the characters JSON requires escaped -- what calib._digest_rows and to_json write."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(collection_type: str, lines: Iterable[str]) -> str:
    """The digest of a form: the header line, then ``lines`` (already in their order),
    joined by newlines, as UTF-8, hashed with SHA-256."""
    h = hashlib.sha256(_json({"format": FORMAT, "type": collection_type}).encode())
    for line in lines:
        h.update(b"\n" + line.encode())
    return "sha256:" + h.hexdigest()


class CollectionDigest(Catalog):
    def _collection_digest(self, name: str) -> str:
        with self._read():
            coll = self._collection(name)
            if coll.type == "CHAINED":
                lines: Iterable[str] = self._digest_children(coll.id)
            else:
                # str order is code point order, which is the lines' UTF-8 byte order.
                lines = sorted(self._digest_rows(coll.id, coll.type))
            return digest_of(coll.type, lines)

    def _digest_children(self, parent_id: int) -> list[str]:
        rows = self._q("SELECT c.name FROM collection_chain AS ch"
                       " JOIN collection AS c ON c.collection_id = ch.child_id"
                       " WHERE ch.parent_id = ? ORDER BY ch.position", (parent_id,))
        return [_json({"child": r["name"], "position": n}) for n, r in enumerate(rows, 1)]

    def _digest_rows(self, collection_id: int, collection_type: str) -> Iterator[str]:
        """The content lines of calib._digest_rows, unsorted. With _digest_children, the
        only reads of the tables behind a digest: an as-of digest changes only these."""
        if collection_type == "CALIBRATION":
            sql = ("SELECT c.dataset_id, c.begin_us, c.end_us, d.value, t.name"
                   " FROM certification AS c"
                   " JOIN data_id AS d ON d.data_id_key = c.data_id_key"
                   " JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
                   " WHERE c.collection_id = ?")
        elif collection_type == "TAGGED":
            sql = ("SELECT g.dataset_id, d.value, t.name FROM tag AS g"
                   " JOIN data_id AS d ON d.data_id_key = g.data_id_key"
                   " JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
                   " WHERE g.collection_id = ?")
        else:
            sql = ("SELECT s.dataset_id, d.value, t.name FROM dataset AS s"
                   " JOIN data_id AS d ON d.data_id_key = s.data_id_key"
                   " JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
                   " WHERE s.run_id = ?")
        # Each stored data ID, dataset-type name and instant is written once (they repeat
        # across rows); a string alone is encode_basestring, what json.dumps uses for it.
        texts: dict[str, str] = {}
        names: dict[str, str] = {}
        instants: dict[int, str] = {MIN_US: "null", MAX_US: "null"}
        for r in self._q(sql, (collection_id,)):
            data_id = texts.get(r["value"])
            if data_id is None:
                data_id = texts[r["value"]] = _json(json.loads(r["value"]))
            name = names.get(r["name"])
            if name is None:
                name = names[r["name"]] = _json_str(r["name"])
            head = (f'"data_id":{data_id},"dataset_id":"{_uuid(r["dataset_id"])}",'
                    f'"dataset_type":{name}')
            if collection_type == "CALIBRATION":
                b, e = r["begin_us"], r["end_us"]
                begin, end = instants.get(b), instants.get(e)
                if begin is None:
                    begin = instants[b] = _json_str(_ts_text(b))
                if end is None:
                    end = instants[e] = _json_str(_ts_text(e))
                yield f'{{"begin":{begin},{head},"end":{end}}}'
            else:
                yield "{" + head + "}"
