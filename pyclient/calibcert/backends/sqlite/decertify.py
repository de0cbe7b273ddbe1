"""decertify (twins sql/functions/decertify.sql; differs by necessity: no range type, so
the pieces left outside the timespan are computed from integer bounds)."""

from __future__ import annotations

from typing import Any

from ...types import (
    Timespan,
)
from .states import States
from .values import (
    _begin_us,
    _end_us,
)
from .versions import Versions


class Decertify(States, Versions):
    #: _hit: the certifications decertify touches, before they are cut.
    TEMP_TABLES = (
        "CREATE TEMP TABLE IF NOT EXISTS _hit (k INTEGER, t INTEGER, id BLOB, r INTEGER,"
        " b INTEGER, e INTEGER)",
    )

    def _decertify(self, collection: str, dataset_type: str, timespan: Timespan,
                   data_ids: list[dict[str, Any]] | None) -> int:
        b, e = _begin_us(timespan.begin), _end_us(timespan.end)
        # lazy_op: named once the number of rows is known (versions.py).
        with self._write(op="decertify", lazy_op=True):
            coll, dtype = self._collection_and_type(collection, ("CALIBRATION",), dataset_type,
                                                    need_calibration=True)
            keys = self._data_id_keys(dtype, data_ids)
            self._check_change(coll, "decertify")
            self._conn.execute("DELETE FROM _hit")
            # The rows ending after b are found on certification_type_end_idx alone (its
            # entries carry the primary key, begin_us included), and only those that also
            # begin before e are read from the table: a plain SELECT of the row's columns
            # read every row ending after b first (revision 0016: on the Butler's 10^4
            # certifications, 2.6 ms of a 10 ms decertify, 0.5 ms this way).
            # (INSERT first: a statement that begins with WITH has no rowcount in sqlite3.)
            n = self._conn.execute(
                "INSERT INTO _hit (k, t, id, r, b, e)"
                " WITH h AS MATERIALIZED (SELECT data_id_key AS k, begin_us AS b"
                "   FROM certification"
                "   WHERE collection_id = :cid AND dataset_type_id = :tid"
                "     AND end_us > :b AND begin_us < :e"
                "     AND (:keys IS NULL OR data_id_key IN (SELECT value FROM json_each(:keys))))"
                " SELECT c.data_id_key, c.dataset_type_id, c.dataset_id, c.run_id, c.begin_us,"
                "        c.end_us"
                " FROM h CROSS JOIN certification AS c"
                "   ON c.collection_id = :cid AND c.data_id_key = h.k AND c.begin_us = h.b",
                {"cid": coll.id, "tid": dtype.id, "b": b, "e": e, "keys": keys}).rowcount
            if n:
                # Twin of PostgreSQL's decertify (revision 0016): a covered row is deleted;
                # every other row is shortened in place to its first remaining piece, as a
                # new certification of this change; the second piece of a split is
                # inserted. The history reads exactly as a delete of the old row and an
                # insert of its pieces: the closed versions are written here, without a
                # successor, for every row (versions.py; the row triggers step aside for
                # these statements), and the UPDATE stamps this change as the row's
                # creator. In place because the shortened row keeps its parents and its
                # key: no foreign-key check, no guard probe (a shrink of the same key),
                # and no history trigger per row (revision 0017: bench/README.md "SQLite
                # writes (revision 0017)").
                # checked_into named now, with the operation (one UPDATE of change_context
                # less): the only certification INSERT of this call is the second pieces
                # below, after the UPDATE that shortened their rows.
                self._versions_by_statement(n, always=True, checked_into=coll.id)
                self._close_versions(
                    "c.collection_id = :cid AND c.data_id_key = h.k AND c.begin_us = h.b",
                    {"cid": coll.id}, successor=False,
                    source="_hit AS h CROSS JOIN certification AS c")
                p = {"cid": coll.id, "b": b, "e": e, "chg": self._change_id(),
                     "op": self._operation_label}
                # A row that begins before b keeps [begin, b); one that begins inside the
                # span keeps [e, end); covered rows (neither) are deleted. Three statements,
                # each run only while rows are left: an UPDATE that sets begin_us changes
                # the primary key, which costs about 1.5 us a row more even where the value
                # stays the same, so the first pieces (the common case) set end_us alone.
                # (UPDATE ... FROM: ~0.7 us a row less than an IN (SELECT ...) of _hit.)
                done = self._conn.execute(
                    "UPDATE certification AS c SET end_us = :b, created_change = :chg,"
                    " created_operation = :op FROM _hit AS h WHERE h.b < :b"
                    " AND c.collection_id = :cid AND c.data_id_key = h.k AND c.begin_us = h.b",
                    p).rowcount
                if done < n:
                    done += self._conn.execute(
                        "UPDATE certification AS c SET begin_us = :e, created_change = :chg,"
                        " created_operation = :op FROM _hit AS h WHERE h.b >= :b AND h.e > :e"
                        " AND c.collection_id = :cid AND c.data_id_key = h.k AND c.begin_us = h.b",
                        p).rowcount
                if done < n:
                    self._conn.execute(
                        "DELETE FROM certification AS c WHERE c.collection_id = :cid"
                        " AND (c.data_id_key, c.begin_us) IN"
                        "   (SELECT k, b FROM _hit WHERE b >= :b AND e <= :e)", p)
                # The second pieces, after the UPDATE shortened their rows: each lies
                # inside its old row's span and after its first piece, with the row's own
                # collection and dataset, so the file's insert guards step aside for this
                # statement (change_context.checked_into, named above with the operation,
                # cleared when the call returns; guards.sql says why that is safe).
                self._conn.execute(
                    "INSERT INTO certification (collection_id, dataset_type_id, data_id_key,"
                    " dataset_id, run_id, begin_us, end_us, created_change, created_operation)"
                    " SELECT :cid, t, k, id, r, :e, e, :chg, :op FROM _hit WHERE b < :b AND e > :e",
                    p)
            return n
