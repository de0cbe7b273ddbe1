"""Certification (twins sql/functions/certify.sql, certify_series.sql, _certify_rows.sql and
_certification_conflicts.sql; the same shape: a fast way that writes and lets the file's own
guard refuse an overlap (the trigger certification_no_overlap of sql/sqlite/schema/guards.sql,
the exclusion constraint's twin), then, only when it did, a general way that undoes the
attempt and lists the conflicts exactly; differs by necessity: a savepoint, not a
subtransaction, undoes the attempt)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

from ...types import (
    Timespan,
)
from .catalog import _Coll
from .states import States
from .values import (
    BULK_ROWS,
    FEW,
    MAX_CONFLICTS,
    MAX_US,
    MIN_US,
    _begin_us,
    _end_us,
    _err,
    _id_bytes,
    _span_json,
    _uuid,
)

# -- close_open and the overlap with stored rows, written once --------------------------------


def _closed_by(fb: str) -> str:
    """close_open's rule: the stored certification c of a key that the call closes at ``fb``
    (the key's first new begin) is open-ended and begins before ``fb``."""
    return f"c.end_us = {MAX_US} AND c.begin_us < {fb}"


def _effective_end(fb: str, close_open: str = ":close_open") -> str:
    """The end of stored certification c as it is once close_open has run (if
    ``close_open`` is true; calib._certify_rows closes before inserting)."""
    return f"CASE WHEN {close_open} AND {_closed_by(fb)} THEN {fb} ELSE c.end_us END"


#: close_open itself, for one key :k and its first new begin :fb.
_CLOSE_OPEN = ("UPDATE certification AS c SET end_us = :fb"
               f" WHERE c.collection_id = :cid AND c.data_id_key = :k AND {_closed_by(':fb')}")


def _overlaps_stored(k: str, b: str, e: str, fb: str, cid: str = ":cid",
                     close_open: str = ":close_open") -> str:
    """Does a new item of key ``k`` over [b, e) overlap a stored certification (as it will
    be after close_open)? Stored rows of one key are disjoint, so only the last one
    beginning before ``e`` can reach into the item: one probe."""
    return (f"(SELECT {_effective_end(fb, close_open)} FROM certification AS c"
            f" WHERE c.collection_id = {cid} AND c.data_id_key = {k} AND c.begin_us < {e}"
            f" ORDER BY c.begin_us DESC LIMIT 1) > {b}")


#: The test for item r of a scratch table (_item), for the general way's conflict list.
_STORED_OVERLAP = _overlaps_stored("r.k", "r.b", "r.e", "r.fb")

#: created_change / created_operation: the history (revision 0014), stamped here so that the
#: insert trigger has nothing to do (epochs.py, _change_id).
_INSERT = ("INSERT INTO certification (collection_id, dataset_type_id, data_id_key, dataset_id,"
           " run_id, begin_us, end_us, created_change, created_operation)")


def _is_overlap(exc: sqlite3.IntegrityError) -> bool:
    """The guard trigger's refusal (any other integrity error is not the fast way's to
    handle)."""
    return "certification_no_overlap" in str(exc)

class Certify(States):
    #: _series: certify_series items before their ends are derived.
    TEMP_TABLES = (
        "CREATE TEMP TABLE IF NOT EXISTS _series (ord INTEGER PRIMARY KEY, id BLOB, t INTEGER,"
        " k INTEGER, r INTEGER, b INTEGER, e INTEGER, fb INTEGER)",
    )

    # -- certification ----------------------------------------------------------------

    def _certify(self, collection: str, ids: list[uuid.UUID], timespan: Timespan,
                 close_open: bool) -> int:
        b, e = _begin_us(timespan.begin), _end_us(timespan.end)
        with self._write(op="certify", bulk=len(ids) >= BULK_ROWS, lazy_op=True):
            coll = self._collection(collection, ("CALIBRATION",))
            # The fast way only for an OPEN collection: nothing for _check_change to refuse.
            if (len(ids) <= FEW and coll.state == "OPEN"
                    and self._certify_few(coll, ids, [b] * len(ids), e, close_open)):
                return len(ids)
            self._stage_ids(ids)
            self._resolve("_item", b, e)
            self._check_calibration_types(coll, "_item")
            self._check_change(coll, "certify", "_item")
            return self._certify_rows(coll, "_item", close_open, series=False)

    def _certify_series(self, collection: str, ids: list[uuid.UUID],
                        begins: list[datetime | None], close_open: bool) -> int:
        with self._write(op="certify_series", bulk=len(ids) >= BULK_ROWS, lazy_op=True):
            coll = self._collection(collection, ("CALIBRATION",))
            if len(ids) != len(begins):
                raise _err("series_begins_count", collection=collection, n_datasets=len(ids),
                           n_begins=len(begins))
            begins_us = [_begin_us(b) for b in begins]
            if (len(ids) <= FEW and coll.state == "OPEN"
                    and self._certify_few(coll, ids, begins_us, None, close_open)):
                return len(ids)
            self._stage_ids(ids, begins_us)
            self._resolve("_series")
            self._check_calibration_types(coll, "_series")
            self._check_series_begins(coll)
            self._check_change(coll, "certify_series", "_series")
            # Each end is the next begin of the same key, the last one unbounded; fb is the
            # key's first begin (what close_open closes a stored open row at).
            self._conn.execute("DELETE FROM _item")
            self._conn.execute(
                "INSERT INTO _item (ord, id, t, k, r, b, e, fb)"
                " SELECT ord, id, t, k, r, b,"
                "        lead(b, 1, :max) OVER (PARTITION BY k ORDER BY b),"
                "        min(b) OVER (PARTITION BY k)"
                " FROM _series", {"max": MAX_US})
            return self._certify_rows(coll, "_item", close_open, series=True)

    def _certify_few(self, coll: _Coll, ids: list[uuid.UUID], begins: list[int],
                     end: int | None, close_open: bool) -> bool:
        """certify (``end`` given) or certify_series (``end`` None) of a few datasets
        without scratch tables: one statement resolves the datasets, then the writes, which
        the guard trigger refuses on any overlap. If any rule fails, nothing is left
        written and False sends the call to the general path, which finds and reports the
        error exactly."""
        if not ids:
            return True  # nothing to write: no change opened, so no epoch (as on PostgreSQL)
        blobs = list(_id_bytes(ids))
        found = self._resolve_few(blobs)
        rows: list[tuple[bytes, int, int, int, int]] = []  # (id, type, key, run, begin)
        for u, b in zip(blobs, begins, strict=True):
            hit = found.get(u)
            if hit is None or not self._type_by_id(hit[0]).is_calibration:
                return False
            rows.append((u, *hit, b))
        by_key: dict[int, list[int]] = {}
        for _, _, k, _, b in rows:
            by_key.setdefault(k, []).append(b)
        if end is not None and len(by_key) < len(rows):
            return False  # two datasets of one key: they overlap each other
        ends: dict[tuple[int, int], int] = {}
        for k, bs in by_key.items():
            bs.sort()
            if len(set(bs)) < len(bs):
                return False  # a series with two begins of one key
            for i, b in enumerate(bs):
                ends[(k, b)] = end if end is not None else (bs[i + 1] if i + 1 < len(bs)
                                                            else MAX_US)
        values = [(coll.id, t, k, u, r, b, ends[(k, b)]) for u, t, k, r, b in rows]
        try:
            if len(values) == 1 and not close_open:
                # One statement: the guard's RAISE(ABORT) undoes it whole, so no savepoint
                # (revision 0016: two statements less). A change it opened stays open, but
                # the general way then fails too and the call's transaction is undone.
                self._conn.execute(_INSERT + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   (*values[0], self._change_id(), self._operation_label))
                return True
            with self._attempt():
                if close_open:
                    self._close_open(coll, ((k, bs[0]) for k, bs in by_key.items()))
                chg, op = self._change_id(), self._operation_label
                self._conn.executemany(_INSERT + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                       [(*v, chg, op) for v in values])
        except sqlite3.IntegrityError as exc:
            if not _is_overlap(exc):
                raise
            return False
        return True

    def _resolve_few(self, ids: list[bytes]) -> dict[bytes, tuple[int, int, int]]:
        """Dataset type, data-ID key and RUN of a few datasets, by id (one statement; the
        placeholder count is rounded up to a power of two so few statements are cached)."""
        if not ids:
            return {}
        width = 1 << (len(ids) - 1).bit_length()
        params = ids + [ids[0]] * (width - len(ids))
        rows = self._q("SELECT dataset_id, dataset_type_id, data_id_key, run_id FROM dataset"
                       f" WHERE dataset_id IN ({','.join('?' * width)})", params)
        return {r["dataset_id"]: (r["dataset_type_id"], r["data_id_key"], r["run_id"])
                for r in rows}

    def _check_calibration_types(self, coll: _Coll, table: str) -> None:
        """KC006: every dataset must be of a calibration type."""
        row = self._one("SELECT name FROM dataset_type WHERE NOT is_calibration"
                        f" AND dataset_type_id IN (SELECT t FROM {table})"
                        " ORDER BY dataset_type_id LIMIT 1")
        if row is not None:
            raise _err("not_calibration_certify", dataset_type=row["name"],
                       collection=coll.name)

    def _check_series_begins(self, coll: _Coll) -> None:
        """KC001 for two items of one calibration key with the same begin."""
        if self._one("SELECT 1 FROM _series GROUP BY k, b HAVING count(*) > 1 LIMIT 1") is None:
            return
        rows = self._q(
            "SELECT s.k, s.b, s.id FROM _series AS s CROSS JOIN ("
            "  SELECT k, b, min(ord) AS first FROM _series GROUP BY k, b HAVING count(*) > 1"
            ") AS g ON g.k = s.k AND g.b = s.b ORDER BY g.first, s.ord")
        groups: dict[tuple[int, int], list[bytes]] = {}
        for r in rows:
            groups.setdefault((r["k"], r["b"]), []).append(r["id"])
        keys = {k for k, _ in groups}
        values = self._data_id_values(keys)
        names = self._key_type_names(keys)
        conflicts = []
        for (k, b), members in groups.items():
            span = _span_json(b, MAX_US)
            conflicts.append({"dataset_type": names[k], "data_id": values[k],
                              "dataset": str(_uuid(members[0])), "timespan": span,
                              "conflicting_dataset": str(_uuid(members[1])),
                              "conflicting_timespan": span})
        raise _err("series_duplicate_begin", collection=coll.name, conflicts=conflicts)

    def _key_type_names(self, keys: Iterable[int]) -> dict[int, str]:
        rows = self._q("SELECT di.data_id_key, t.name FROM data_id AS di"
                       " JOIN dataset_type AS t ON t.dataset_type_id = di.dataset_type_id"
                       " WHERE di.data_id_key IN (SELECT value FROM json_each(?))",
                       (json.dumps(sorted(set(keys))),))
        return {r["data_id_key"]: r["name"] for r in rows}

    def _close_open(self, coll: _Coll, firsts: Iterable[tuple[int, int]]) -> None:
        """close_open for each (key, first new begin) of a call (_CLOSE_OPEN). Its UPDATE is
        the one write of certify whose history triggers read the operation (the inserts
        stamp it: the call's operation is named lazily, epochs.py)."""
        self._name_operation()
        self._conn.executemany(_CLOSE_OPEN, ({"cid": coll.id, "k": k, "fb": fb}
                                             for k, fb in firsts))

    @contextmanager
    def _attempt(self) -> Iterator[None]:
        """The fast way's writes, undone whole if they fail (a savepoint inside the call's
        transaction), so that the general way sees the file as it was."""
        self._conn.execute("SAVEPOINT calibcert_attempt")
        try:
            yield
        except BaseException:
            self._forget_change()  # the attempt may have opened it
            self._conn.execute("ROLLBACK TO calibcert_attempt")
            self._conn.execute("RELEASE calibcert_attempt")
            raise
        self._conn.execute("RELEASE calibcert_attempt")

    def _certify_rows(self, coll: _Coll, table: str, close_open: bool, series: bool) -> int:
        """calib._certify_rows after the resolution: the rows of ``table`` (ord, id, t, k,
        b, e, fb) must not overlap a stored certification of their key (as it is after
        close_open) nor, for certify, another row of the same key. The fast way writes
        (close_open's update, then one INSERT in order) and the guard trigger refuses any
        overlap, rows of this INSERT included; only then does the general way undo that and
        list the conflicts (_raise_conflicts)."""
        try:
            with self._attempt():
                if close_open:
                    self._close_open(coll, self._conn.execute(
                        f"SELECT k, min(fb) FROM {table} GROUP BY k").fetchall())
                chg = self._change_id()
                n = self._conn.execute(
                    _INSERT + f" SELECT :cid, t, k, id, r, b, e, :chg, :op FROM {table}"
                    " ORDER BY ord", {"cid": coll.id, "chg": chg, "op": self._operation_label}
                ).rowcount
                return n
        except sqlite3.IntegrityError as exc:
            if not _is_overlap(exc):
                raise
        in_batch = not series and self._one(
            f"SELECT 1 FROM {table} GROUP BY k HAVING count(*) > 1 LIMIT 1") is not None
        self._raise_conflicts(coll, table, {"cid": coll.id, "close_open": int(close_open)},
                              in_batch)

    def _raise_conflicts(self, coll: _Coll, table: str, params: dict[str, Any],
                         in_batch: bool) -> NoReturn:
        """KC001 with the conflicts listed as calib._certification_conflicts does: by new
        item order, stored rows (by begin) before later items of the call, at most 100."""
        if in_batch:
            self._conn.execute(f"CREATE INDEX IF NOT EXISTS temp.{table}_k ON {table} (k, ord)")
        batch_overlap = (f"EXISTS (SELECT 1 FROM {table} AS x WHERE x.k = r.k AND x.ord > r.ord"
                         "        AND x.b < r.e AND r.b < x.e)") if in_batch else "0"
        items = self._q(
            f"SELECT r.ord, r.id, r.k, r.b, r.e, r.fb FROM {table} AS r"
            f" WHERE {_STORED_OVERLAP} OR {batch_overlap} ORDER BY r.ord LIMIT :limit",
            {**params, "limit": MAX_CONFLICTS})
        pairs: list[tuple[sqlite3.Row, bytes, int, int]] = []
        for r in items:
            left = MAX_CONFLICTS - len(pairs)
            if left <= 0:
                break
            q = {**params, "k": r["k"], "b": r["b"], "e": r["e"], "fb": r["fb"], "limit": left}
            for c in self._q(
                    f"SELECT c.dataset_id, c.begin_us, {_effective_end(':fb')}"
                    "        AS end_us"
                    " FROM certification AS c"
                    " WHERE c.collection_id = :cid AND c.data_id_key = :k AND c.begin_us < :e"
                    "   AND c.begin_us >= coalesce((SELECT c2.begin_us FROM certification AS c2"
                    "        WHERE c2.collection_id = :cid AND c2.data_id_key = :k"
                    "          AND c2.begin_us <= :b ORDER BY c2.begin_us DESC LIMIT 1), :min)"
                    f"  AND {_effective_end(':fb')} > :b"
                    " ORDER BY c.begin_us LIMIT :limit", {**q, "min": MIN_US}):
                pairs.append((r, c["dataset_id"], c["begin_us"], c["end_us"]))
            if in_batch and len(pairs) < MAX_CONFLICTS:
                q["limit"] = MAX_CONFLICTS - len(pairs)
                for x in self._q(
                        f"SELECT x.id, x.b, x.e FROM {table} AS x WHERE x.k = :k"
                        " AND x.ord > :ord AND x.b < :e AND :b < x.e ORDER BY x.ord LIMIT :limit",
                        {**q, "ord": r["ord"]}):
                    pairs.append((r, x["id"], x["b"], x["e"]))
        keys = {r["k"] for r, *_ in pairs}
        values = self._data_id_values(keys)
        names = self._key_type_names(keys)
        conflicts = [{"dataset_type": names[r["k"]], "data_id": values[r["k"]],
                      "dataset": str(_uuid(r["id"])), "timespan": _span_json(r["b"], r["e"]),
                      "conflicting_dataset": str(_uuid(other)),
                      "conflicting_timespan": _span_json(ob, oe)}
                     for r, other, ob, oe in pairs]
        if not conflicts:  # unreachable while writers are serialized; said as SQL says it
            raise _err("certification_conflict_concurrent", collection=coll.name, conflicts=[])
        raise _err("certification_conflict", collection=coll.name, conflicts=conflicts)
