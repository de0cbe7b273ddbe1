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

from .as_of import VISIBLE
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
            # A snapshot: its source's content as of the snapshot's epoch.
            snap = self._snapshot_of(coll.id)  # type: ignore[attr-defined]
            if coll.type == "CHAINED":
                lines: Iterable[str] = self._digest_children(coll.id, snap)
            else:
                source_id, epoch = snap if snap is not None else (coll.id, None)
                # str order is code point order, which is the lines' UTF-8 byte order.
                lines = sorted(self._digest_rows(source_id, coll.type, epoch))
            return digest_of(coll.type, lines)

    def _digest_children(self, parent_id: int,
                         snap: tuple[int, int] | None = None) -> list[str]:
        """The chain's lines; a snapshot's (``snap``: its source and epoch) are its
        source's children as of the epoch, by their names then."""
        if snap is not None:
            names = self._chain_as_of(parent_id, snap[1])  # type: ignore[attr-defined]
        else:
            names = [r["name"] for r in self._q(
                "SELECT c.name FROM collection_chain AS ch"
                " JOIN collection AS c ON c.collection_id = ch.child_id"
                " WHERE ch.parent_id = ? ORDER BY ch.position", (parent_id,))]
        return [_json({"child": name, "position": n}) for n, name in enumerate(names, 1)]

    def _digest_rows(self, collection_id: int, collection_type: str,
                     epoch: int | None = None) -> Iterator[str]:
        """The content lines of calib._digest_rows, unsorted: the current rows, or (``epoch``)
        the versions visible then (a snapshot's source). With _digest_children, the only
        reads of the tables behind a digest: an as-of digest changes only these."""
        if epoch is None:
            rows = {"CALIBRATION": "certification", "TAGGED": "tag", "RUN": "dataset"}
        else:
            rows = {
                "CALIBRATION":
                    "(SELECT dataset_id, data_id_key, begin_us, end_us, collection_id"
                    " FROM certification WHERE collection_id = :cid AND created_change <= :e"
                    " UNION ALL SELECT dataset_id, data_id_key, begin_us, end_us, collection_id"
                    f" FROM certification_version AS v WHERE v.collection_id = :cid"
                    f" AND {VISIBLE('v')})",
                "TAGGED": f"(SELECT * FROM tag_version AS v WHERE {VISIBLE('v')})",
                "RUN": f"(SELECT * FROM dataset_version AS v WHERE {VISIBLE('v')})",
            }
        if collection_type == "CALIBRATION":
            sql = ("SELECT c.dataset_id, c.begin_us, c.end_us, d.value, t.name"
                   f" FROM {rows['CALIBRATION']} AS c"
                   " JOIN data_id AS d ON d.data_id_key = c.data_id_key"
                   " JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
                   " WHERE c.collection_id = :cid")
        elif collection_type == "TAGGED":
            sql = (f"SELECT g.dataset_id, d.value, t.name FROM {rows['TAGGED']} AS g"
                   " JOIN data_id AS d ON d.data_id_key = g.data_id_key"
                   " JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
                   " WHERE g.collection_id = :cid")
        else:
            sql = (f"SELECT s.dataset_id, d.value, t.name FROM {rows['RUN']} AS s"
                   " JOIN data_id AS d ON d.data_id_key = s.data_id_key"
                   " JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
                   " WHERE s.run_id = :cid")
        # Each stored data ID, dataset-type name and instant is written once (they repeat
        # across rows); a string alone is encode_basestring, what json.dumps uses for it.
        texts: dict[str, str] = {}
        names: dict[str, str] = {}
        instants: dict[int, str] = {MIN_US: "null", MAX_US: "null"}
        for r in self._q(sql, {"cid": collection_id, "e": epoch}):
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
