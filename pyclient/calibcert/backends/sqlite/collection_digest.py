"""collection_digest (twins sql/functions/collection_digest.sql and _digest_rows.sql): the
same canonical form (README "Collection digests"), built here in Python from the SQLite
tables, so the same content gives the same digest on both backends, now and as of an epoch
(the versions visible then, read through as_of.py's fragments). No difference but where
the lines are made: times are stored as microseconds (written with calib._ts_text's format
by values._ts_text) and ids as 16 bytes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring as _json_str  # C-accelerated, non-ASCII kept

from .as_of import CERTIFICATIONS_AS_OF, CHILDREN_AS_OF, VISIBLE
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
            return self._digest(coll.id, coll.type, None)

    def _collection_digest_as_of(self, name: str, as_of: int) -> str:
        """calib.collection_digest(name, as_of): the same form, of the collection that bore
        ``name`` at that epoch, from the versions visible then (KC015 as_of_range, KC002
        collection_missing_as_of)."""
        with self._read():
            epoch = self._as_of(as_of)  # type: ignore[attr-defined]
            coll = self._collection_as_of(name, epoch)  # type: ignore[attr-defined]
            return self._digest(coll.id, coll.type, epoch)

    def _digest(self, collection_id: int, collection_type: str, epoch: int | None) -> str:
        """The digest of a collection now (``epoch`` None) or as of ``epoch``; a snapshot's
        is its source's as of the snapshot's epoch (calib.collection_digest reads
        calib.snapshot first)."""
        snap = self._snapshot_of(collection_id)  # type: ignore[attr-defined]
        if snap is not None:
            collection_id, epoch = snap
        if collection_type == "CHAINED":
            lines: Iterable[str] = self._digest_children(collection_id, epoch)
        else:
            # str order is code point order, which is the lines' UTF-8 byte order.
            lines = sorted(self._digest_rows(collection_id, collection_type, epoch))
        return digest_of(collection_type, lines)

    def _digest_children(self, parent_id: int, epoch: int | None = None) -> list[str]:
        """A chain's lines: its children's names in chain order (as named at ``epoch``)."""
        if epoch is None:
            rows = self._q("SELECT c.name FROM collection_chain AS ch"
                           " JOIN collection AS c ON c.collection_id = ch.child_id"
                           " WHERE ch.parent_id = ? ORDER BY ch.position", (parent_id,))
        else:
            rows = self._q(CHILDREN_AS_OF, {"p": parent_id, "e": epoch})
        return [_json({"child": r["name"], "position": n}) for n, r in enumerate(rows, 1)]

    def _digest_rows(self, collection_id: int, collection_type: str,
                     epoch: int | None = None) -> Iterator[str]:
        """The content lines of calib._digest_rows, unsorted, now or as of ``epoch``. With
        _digest_children, the only reads of the tables behind a digest: an as-of digest
        changes only the tables read (the versions visible then)."""
        # Now: the current table and its condition, as before history (the statement the
        # digest's cost was measured with); as of: the versions visible then.
        if epoch is None:
            stored, where = {"CALIBRATION": ("certification AS c", "c.collection_id = :cid"),
                             "TAGGED": ("tag AS c", "c.collection_id = :cid"),
                             "RUN": ("dataset AS c", "c.run_id = :cid")}[collection_type]
        else:
            stored, where = {
                "CALIBRATION": (f"{CERTIFICATIONS_AS_OF('c.collection_id = :cid')} AS c",
                                "true"),
                "TAGGED": ("tag_version AS c", f"c.collection_id = :cid AND {VISIBLE('c')}"),
                "RUN": ("dataset_version AS c", f"c.run_id = :cid AND {VISIBLE('c')}"),
            }[collection_type]
        times = ", c.begin_us, c.end_us" if collection_type == "CALIBRATION" else ""
        sql = (f"SELECT c.dataset_id{times}, d.value, t.name FROM {stored}"
               " JOIN data_id AS d ON d.data_id_key = c.data_id_key"
               " JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
               f" WHERE {where}")
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
