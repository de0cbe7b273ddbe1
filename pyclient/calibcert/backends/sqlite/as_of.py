"""As-of reads: find / find_many, certifications, get_chain and list_collections as of an
epoch (query_datasets' as-of form is in datasets.py) (twins
sql/functions/_visible.sql, _collection_as_of.sql, _search_path_as_of.sql, _probe_as_of.sql
and the as-of forms in find_many.sql, certifications.sql, get_chain.sql; README "History and
time travel").

The state as of epoch E is made of the versions visible then (the one place that is
written: :data:`VISIBLE`): a current certification created at or before E, a closed one
(certification_version) created at or before E and removed after it, and the versions of
the small tables (collection, chain, tag, dataset) whose span contains E. The lookup rule is
lookup.py's, applied to those versions along the search path walked from the chains
visible at E (:meth:`AsOf._search_path_as_of`, the walk of refresh_search_paths.sql); at the
current epoch the answers equal the live ones (tests/test_behaviour_history.py replays every
epoch of a scenario). Current lookups never come here: their fast path is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ...errors import error
from ...registry import At
from ...types import (
    Certification,
    CollectionInfo,
    CollectionState,
    CollectionType,
    DatasetRef,
)
from .catalog import Catalog, _Member
from .lookup import _decide, _query_span
from .values import _span_json, _timespan, _ts_text, _uuid


def VISIBLE(alias: str) -> str:  # noqa: N802 - a SQL fragment, named like a constant
    """The version ``alias`` (a row of a <table>_version table) is visible as of :e."""
    return (f"{alias}.created_change <= :e"
            f" AND ({alias}.removed_change IS NULL OR {alias}.removed_change > :e)")


#: The certifications of key :k in member :m beginning before :qe visible as of :e, latest
#: first, at most :n of each source: current rows created by then, closed versions open
#: then. Visible rows of one key never overlap (they were current together), so the latest
#: two decide a query (lookup.py's rule).
_CERTS = f"""
    SELECT * FROM (SELECT c.dataset_id, c.run_id, c.begin_us, c.end_us FROM certification AS c
                   WHERE c.collection_id = :m AND c.data_id_key = :k AND c.begin_us < :qe
                     AND c.created_change <= :e ORDER BY c.begin_us DESC LIMIT :n)
    UNION ALL
    SELECT * FROM (SELECT v.dataset_id, v.run_id, v.begin_us, v.end_us
                   FROM certification_version AS v
                   WHERE v.collection_id = :m AND v.data_id_key = :k AND v.begin_us < :qe
                     AND {VISIBLE("v")} ORDER BY v.begin_us DESC LIMIT :n)"""
_OTHER = {
    "RUN": f"SELECT d.dataset_id, d.run_id FROM dataset_version AS d"
           f" WHERE d.run_id = :m AND d.data_id_key = :k AND {VISIBLE('d')} LIMIT 2",
    "TAGGED": f"SELECT g.dataset_id, g.run_id FROM tag_version AS g"
              f" WHERE g.collection_id = :m AND g.data_id_key = :k AND {VISIBLE('g')} LIMIT 2",
}


class AsOf(Catalog):
    def _collection_as_of(self, name: str, epoch: int,
                          types: Sequence[str] | None = None) -> _Member:
        """calib._collection_as_of: the collection that bore ``name`` at ``epoch``
        (KC002 collection_missing_as_of, KC003 wrong type)."""
        row = self._one(f"SELECT v.collection_id, v.type FROM collection_version AS v"
                        f" WHERE v.name = :name AND {VISIBLE('v')}", {"name": name, "e": epoch})
        if row is None:
            raise error("collection_missing_as_of", collection=name, as_of=epoch)
        if types is not None and row["type"] not in types:
            raise error("collection_type", collection=name, type=row["type"],
                        expected=list(types))
        return _Member(row["collection_id"], name, row["type"])

    def _search_path_as_of(self, collection_id: int, epoch: int) -> list[_Member]:
        """calib._search_path_as_of: the non-CHAINED members of the collection's chains as
        they were at ``epoch``, depth-first in chain order, each once at its first
        occurrence (a non-chain collection is its own path). Walked on each call: past paths
        are read rarely, and the small tables are read whole."""
        colls = {r[0]: (r[1], r[2]) for r in self._q(
            f"SELECT v.collection_id, v.name, v.type FROM collection_version AS v"
            f" WHERE {VISIBLE('v')}", {"e": epoch})}
        children: dict[int, list[int]] = {}
        for r in self._q(f"SELECT v.parent_id, v.child_id FROM chain_version AS v"
                         f" WHERE {VISIBLE('v')} ORDER BY v.parent_id, v.position",
                         {"e": epoch}):
            children.setdefault(r[0], []).append(r[1])
        out: list[_Member] = []
        seen: set[int] = set()

        def walk(cid: int) -> None:
            if cid in seen or cid not in colls:
                return
            seen.add(cid)
            name, type_ = colls[cid]
            if type_ != "CHAINED":
                out.append(_Member(cid, name, type_))
                return
            for child in children.get(cid, ()):
                walk(child)

        walk(collection_id)
        return out

    # -- the as-of forms of the public readers ---------------------------------------

    def _find_many_as_of(self, collection: str, dataset_type: str,
                         data_ids: list[dict[str, Any]], times: list[At],
                         as_of: int) -> list[DatasetRef | None]:
        """calib._lookup with p_as_of: the same checks in the same order (epoch, collection
        as of then, dataset type, data IDs), then the rule on the versions visible then."""
        with self._read():
            epoch = self._as_of(as_of)  # type: ignore[attr-defined]
            coll = self._collection_as_of(collection, epoch)
            dtype = self._dataset_type(dataset_type)
            enc = self._encoder(dtype)
            texts = []
            for data_id in data_ids:
                enc.check(data_id)
                texts.append(enc.text(data_id))
            keys = self._keys(dtype.id, texts)
            members = tuple(self._search_path_as_of(coll.id, epoch))
            spans = [_query_span(at) for at in times]
            out: list[DatasetRef | None] = [None] * len(data_ids)
            ambiguous: list[tuple[int, int]] = []

            def probe(pos: int, member: _Member, pending: list[int]) -> list[int]:
                matched = []
                for i in pending:
                    k, (qb, qe) = keys.get(texts[i]), spans[i]
                    if k is None:
                        continue
                    if member.type == "CALIBRATION":
                        if qb is None:
                            continue
                        rows = self._calibration_rows(member.id, k, qe, epoch, 2)
                        hits = [r for r in rows[:2] if r[3] > qb]
                    else:
                        hits = self._q(_OTHER[member.type], {"m": member.id, "k": k, "e": epoch})
                    if hits:
                        if len(hits) > 1:
                            ambiguous.append((i, pos))
                        out[i] = DatasetRef(_uuid(hits[0][0]), dtype.name, data_ids[i],
                                            self._run_name(hits[0][1]))
                        matched.append(i)
                return matched

            if members:
                _decide(members, list(range(len(data_ids))), probe)
            if ambiguous:
                i, pos = min(ambiguous)
                member = members[pos]
                qb, qe = spans[i]
                datasets = [str(_uuid(r[0])) for r in reversed(self._calibration_rows(
                    member.id, keys[texts[i]], qe, epoch, -1)) if r[3] > qb]
                if isinstance(times[i], datetime):
                    raise error("lookup_ambiguous_at", collection=member.name,
                                searched=coll.name, dataset_type=dtype.name,
                                data_id=data_ids[i], datasets=datasets, at=_ts_text(qb))
                raise error("lookup_ambiguous_during", collection=member.name,
                            searched=coll.name, dataset_type=dtype.name, data_id=data_ids[i],
                            datasets=datasets, timespan=_span_json(qb, qe))
            return out

    def _keys(self, type_id: int, texts: list[str]) -> dict[str, int]:
        """The interned keys of the data-ID texts ever stored (others match nothing)."""
        return {r[0]: r[1] for r in self._q(
            "SELECT di.value, di.data_id_key FROM data_id AS di WHERE di.dataset_type_id = ?"
            " AND di.value IN (SELECT value FROM json_each(?))",
            (type_id, json.dumps(sorted(set(texts)))))}

    def _calibration_rows(self, member_id: int, key: int, qe: int | None, epoch: int,
                          n: int) -> list[Any]:
        """The visible certifications of the key beginning before ``qe``, latest first (at
        most ``n`` of each source; -1: all)."""
        rows = self._q(_CERTS, {"m": member_id, "k": key, "qe": qe, "e": epoch, "n": n})
        return sorted(rows, key=lambda r: r[2], reverse=True)

    def _certifications_as_of(self, collection: str, dataset_type: str | None,
                              as_of: int) -> list[Certification]:
        with self._read():
            epoch = self._as_of(as_of)  # type: ignore[attr-defined]
            coll = self._collection_as_of(collection, epoch)
            tid = None if dataset_type is None else self._dataset_type(dataset_type).id
            out: list[Certification] = []
            values: dict[int, dict[str, Any]] = {}
            for m in self._search_path_as_of(coll.id, epoch):
                if m.type != "CALIBRATION":
                    continue
                rows = self._q(
                    "SELECT c.dataset_id, c.data_id_key, t.name AS type, di.value,"
                    # A RUN a revert removed since keeps the name it bore last.
                    " coalesce(r.name, (SELECT n.name FROM collection_version AS n"
                    "  WHERE n.collection_id = c.run_id ORDER BY n.created_change DESC"
                    "  LIMIT 1)) AS run, c.begin_us, c.end_us"
                    " FROM (SELECT dataset_id, dataset_type_id, data_id_key, run_id, begin_us,"
                    "              end_us FROM certification"
                    "       WHERE collection_id = :cid AND created_change <= :e"
                    "       UNION ALL"
                    "       SELECT dataset_id, dataset_type_id, data_id_key, run_id, begin_us,"
                    "              end_us FROM certification_version AS v"
                    f"      WHERE v.collection_id = :cid AND {VISIBLE('v')}) AS c"
                    " CROSS JOIN dataset_type AS t ON t.dataset_type_id = c.dataset_type_id"
                    " CROSS JOIN data_id AS di ON di.data_id_key = c.data_id_key"
                    " LEFT JOIN collection AS r ON r.collection_id = c.run_id"
                    " WHERE :tid IS NULL OR c.dataset_type_id = :tid"
                    " ORDER BY t.name, c.data_id_key, c.begin_us",
                    {"cid": m.id, "tid": tid, "e": epoch})
                for r in rows:
                    value = values.get(r["data_id_key"])
                    if value is None:
                        value = values[r["data_id_key"]] = json.loads(r["value"])
                    ref = DatasetRef(_uuid(r["dataset_id"]), r["type"], dict(value), r["run"])
                    out.append(Certification(ref, _timespan(r["begin_us"], r["end_us"]),
                                             m.name))
            return out

    def _list_collections_as_of(self, type: str | None, as_of: int) -> list[CollectionInfo]:
        """calib.list_collections as of an epoch: the collections visible then, with their
        name, type and state then (the doc has no history: today's, None if removed)."""
        with self._read():
            epoch = self._as_of(as_of)  # type: ignore[attr-defined]
            rows = self._q(
                f"SELECT v.name, v.type, c.doc, v.state FROM collection_version AS v"
                f" LEFT JOIN collection AS c ON c.collection_id = v.collection_id"
                f" WHERE {VISIBLE('v')} AND (:t IS NULL OR v.type = upper(:t)) ORDER BY v.name",
                {"e": epoch, "t": type})
            return [CollectionInfo(r["name"], CollectionType(r["type"]), r["doc"],
                                   CollectionState(r["state"])) for r in rows]

    def _get_chain_as_of(self, parent: str, as_of: int) -> list[str]:
        with self._read():
            epoch = self._as_of(as_of)  # type: ignore[attr-defined]
            p = self._collection_as_of(parent, epoch, ("CHAINED",))
            return [r[0] for r in self._q(
                f"SELECT c.name FROM chain_version AS ch"
                f" JOIN collection_version AS c ON c.collection_id = ch.child_id"
                f"  AND {VISIBLE('c')}"
                f" WHERE ch.parent_id = :p AND {VISIBLE('ch')} ORDER BY ch.position",
                {"p": p.id, "e": epoch})]
