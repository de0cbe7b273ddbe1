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
explain.py (explain as of an epoch) and collection_digest.py (the digest as of an epoch)
read through the same method and fragments (:meth:`AsOf._hits_as_of`,
:func:`CERTIFICATIONS_AS_OF`, :data:`CHILDREN_AS_OF`).
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


def VISIBLE(alias: str, e: str = ":e") -> str:  # noqa: N802 - a SQL fragment, named like a constant
    """The version ``alias`` (a row of a <table>_version table) is visible as of epoch
    ``e`` (a SQL expression, :e by default)."""
    return (f"{alias}.created_change <= {e}"
            f" AND ({alias}.removed_change IS NULL OR {alias}.removed_change > {e})")


#: The columns the current certifications and their closed versions share.
_CERT_COLUMNS = ("collection_id, data_id_key, begin_us, end_us, dataset_type_id, dataset_id,"
                 " run_id, created_change")


def CERTIFICATIONS_AS_OF(where: str) -> str:  # noqa: N802 - a SQL fragment
    """The certifications visible as of :e that satisfy ``where`` (a condition on alias
    ``c``), as one subquery of :data:`_CERT_COLUMNS`: current rows created by then, closed
    versions open then (a current row is never removed, so its creation alone decides)."""
    return (f"(SELECT {_CERT_COLUMNS} FROM certification AS c"
            f" WHERE {where} AND c.created_change <= :e"
            f" UNION ALL SELECT {_CERT_COLUMNS} FROM certification_version AS c"
            f" WHERE {where} AND {VISIBLE('c')})")


#: A chain's children as of :e, by the names they had then, in chain order.
CHILDREN_AS_OF = (f"SELECT c.name FROM chain_version AS ch"
                  f" JOIN collection_version AS c ON c.collection_id = ch.child_id"
                  f"  AND {VISIBLE('c')}"
                  f" WHERE ch.parent_id = :p AND {VISIBLE('ch')} ORDER BY ch.position")

#: The certifications of key :k in member :m beginning before :qe visible as of :e, latest
#: first, at most :n of each source (-1: all): current rows created by then, closed
#: versions open then. Visible rows of one key never overlap (they were current together),
#: so the latest two decide a query (lookup.py's rule). Columns: dataset_id, run_id,
#: begin_us, end_us, created_change.
_CERTS = f"""
    SELECT * FROM (SELECT c.dataset_id, c.run_id, c.begin_us, c.end_us, c.created_change
                   FROM certification AS c
                   WHERE c.collection_id = :m AND c.data_id_key = :k AND c.begin_us < :qe
                     AND c.created_change <= :e ORDER BY c.begin_us DESC LIMIT :n)
    UNION ALL
    SELECT * FROM (SELECT v.dataset_id, v.run_id, v.begin_us, v.end_us, v.created_change
                   FROM certification_version AS v
                   WHERE v.collection_id = :m AND v.data_id_key = :k AND v.begin_us < :qe
                     AND {VISIBLE("v")} ORDER BY v.begin_us DESC LIMIT :n)"""
#: The same columns for a RUN's datasets and a TAGGED collection's tags.
_OTHER = {
    "RUN": f"SELECT d.dataset_id, d.run_id, NULL, NULL, d.created_change FROM dataset_version"
           f" AS d WHERE d.run_id = :m AND d.data_id_key = :k AND {VISIBLE('d')} LIMIT :n",
    "TAGGED": f"SELECT g.dataset_id, g.run_id, NULL, NULL, g.created_change FROM tag_version"
              f" AS g WHERE g.collection_id = :m AND g.data_id_key = :k AND {VISIBLE('g')}"
              f" LIMIT :n",
}


#: list_collections' snapshot columns: the source's name at the snapshot's epoch (which it
#: may no longer bear) and the epoch; NULL for every other collection (``s``: the
#: collection's snapshot row, LEFT JOINed).
SNAPSHOT_COLUMNS = (
    f"(SELECT sv.name FROM collection_version AS sv WHERE sv.collection_id = s.source_id"
    f" AND {VISIBLE('sv', 's.epoch')}) AS snapshot_of, s.epoch AS snapshot_epoch")


def collection_info(r: Any) -> CollectionInfo:
    """A list_collections row (name, type, doc, state, snapshot_of, snapshot_epoch)."""
    return CollectionInfo(r["name"], CollectionType(r["type"]), r["doc"],
                          CollectionState(r["state"]), None, r["snapshot_of"],
                          r["snapshot_epoch"])


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
        they were at ``epoch``, depth-first in chain order, each read at ``epoch``; a
        snapshot met on the way is its source's members as of the snapshot's epoch
        (member_epoch); a member is listed once per epoch it is read at, at its first
        occurrence (a non-chain collection is its own path). Walked on each call: past
        paths are read rarely, and the small tables are read whole (once per epoch)."""
        snapshots = self._snapshots()  # type: ignore[attr-defined]
        graphs: dict[int, tuple[dict[int, tuple[str, str]], dict[int, list[int]]]] = {}

        def graph(e: int) -> tuple[dict[int, tuple[str, str]], dict[int, list[int]]]:
            if e not in graphs:
                colls = {r[0]: (r[1], r[2]) for r in self._q(
                    f"SELECT v.collection_id, v.name, v.type FROM collection_version AS v"
                    f" WHERE {VISIBLE('v')}", {"e": e})}
                children: dict[int, list[int]] = {}
                for r in self._q(f"SELECT v.parent_id, v.child_id FROM chain_version AS v"
                                 f" WHERE {VISIBLE('v')} ORDER BY v.parent_id, v.position",
                                 {"e": e}):
                    children.setdefault(r[0], []).append(r[1])
                graphs[e] = colls, children
            return graphs[e]

        out: list[_Member] = []
        seen: set[tuple[int, int]] = set()

        def walk(cid: int, e: int) -> None:
            colls, children = graph(e)
            if (cid, e) in seen or cid not in colls:
                return
            seen.add((cid, e))
            name, type_ = colls[cid]
            if cid in snapshots:
                walk(*snapshots[cid])
                return
            if type_ != "CHAINED":
                out.append(_Member(cid, name, type_, e))
                return
            for child in children.get(cid, ()):
                walk(child, e)

        walk(collection_id, epoch)
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
                return self._probe_versions(pos, member, pending, keys, texts, spans,
                                            dtype.name, data_ids, out, ambiguous)

            if members:
                _decide(members, list(range(len(data_ids))), probe)
            if ambiguous:
                i, pos = min(ambiguous)
                member = members[pos]
                qb, qe = spans[i]
                datasets = self._ambiguous_as_of(member, keys[texts[i]], qb, qe)
                if isinstance(times[i], datetime):
                    raise error("lookup_ambiguous_at", collection=member.name,
                                searched=coll.name, dataset_type=dtype.name,
                                data_id=data_ids[i], datasets=datasets, at=_ts_text(qb))
                raise error("lookup_ambiguous_during", collection=member.name,
                            searched=coll.name, dataset_type=dtype.name, data_id=data_ids[i],
                            datasets=datasets, timespan=_span_json(qb, qe))
            return out

    def _probe_versions(self, pos: int, member: _Member, pending: list[int],
                        keys: dict[str, int], texts: list[str],
                        spans: list[tuple[int | None, int | None]], type_name: str,
                        data_ids: list[dict[str, Any]], out: list[DatasetRef | None],
                        ambiguous: list[tuple[int, int]]) -> list[int]:
        """The lookup rule's probe of member ``member`` (search-path position ``pos``) as
        of its epoch (``member.epoch``), for the pending queries: their refs go into
        ``out``, an ambiguous match into ``ambiguous``; returns the queries it matched.
        Used by as-of lookups and by current lookups through a snapshot member
        (lookup.py)."""
        matched = []
        for i in pending:
            k, (qb, qe) = keys.get(texts[i]), spans[i]
            if k is None:
                continue
            hits = self._hits_as_of(member, k, qb, qe, member.epoch, 2)  # type: ignore[arg-type]
            if hits:
                if len(hits) > 1:
                    ambiguous.append((i, pos))
                out[i] = DatasetRef(_uuid(hits[0][0]), type_name, data_ids[i],
                                    self._run_name(hits[0][1]))
                matched.append(i)
        return matched

    def _ambiguous_as_of(self, member: _Member, key: int, qb: int | None,
                         qe: int | None) -> list[str]:
        """The datasets an ambiguous query matches in CALIBRATION member ``member`` as of
        its epoch, in validity order (KC011's ``datasets``)."""
        return [str(_uuid(r[0])) for r in reversed(self._hits_as_of(
            member, key, qb, qe, member.epoch, -1))]  # type: ignore[arg-type]

    def _keys(self, type_id: int, texts: list[str]) -> dict[str, int]:
        """The interned keys of the data-ID texts ever stored (others match nothing)."""
        return {r[0]: r[1] for r in self._q(
            "SELECT di.value, di.data_id_key FROM data_id AS di WHERE di.dataset_type_id = ?"
            " AND di.value IN (SELECT value FROM json_each(?))",
            (type_id, json.dumps(sorted(set(texts)))))}

    def _hits_as_of(self, member: _Member, key: int, qb: int | None, qe: int | None,
                    epoch: int, n: int) -> list[Any]:
        """What one member held as of ``epoch`` for data-ID key ``key`` in [qb, qe) (qb
        None: no time, a CALIBRATION member holds nothing then): the matching versions,
        latest first, rows (dataset_id, run_id, begin_us, end_us, created_change). find
        asks ``n`` = 2 (a second match is the ambiguity), explain and the ambiguity's
        details -1 (all). The one place the as-of match of a member is written."""
        if member.type != "CALIBRATION":
            return self._q(_OTHER[member.type], {"m": member.id, "k": key, "e": epoch, "n": n})
        if qb is None:
            return []
        rows = sorted(self._q(_CERTS, {"m": member.id, "k": key, "qe": qe, "e": epoch,
                                       "n": n}), key=lambda r: r[2], reverse=True)
        # Latest first and never overlapping: the matches (end after qb) come first.
        return [r for r in (rows if n < 0 else rows[:n]) if r[3] > qb]

    def _certifications_as_of(self, collection: str, dataset_type: str | None,
                              as_of: int) -> list[Certification]:
        with self._read():
            epoch = self._as_of(as_of)  # type: ignore[attr-defined]
            coll = self._collection_as_of(collection, epoch)
            tid = None if dataset_type is None else self._dataset_type(dataset_type).id
            out: list[Certification] = []
            values: dict[int, dict[str, Any]] = {}
            for m in self._search_path_as_of(coll.id, epoch):
                if m.type == "CALIBRATION":
                    out.extend(self._member_certifications(m, tid, values))
            return out

    def _member_certifications(self, m: _Member, tid: int | None,
                               values: dict[int, dict[str, Any]]) -> list[Certification]:
        """The certifications of CALIBRATION member ``m`` visible as of its epoch (of
        dataset type ``tid``; None: all), in certifications' order; ``values`` caches the
        data IDs by key."""
        out: list[Certification] = []
        rows = self._q(
            "SELECT c.dataset_id, c.data_id_key, t.name AS type, di.value,"
            # A RUN a revert removed since keeps the name it bore last.
            " coalesce(r.name, (SELECT n.name FROM collection_version AS n"
            "  WHERE n.collection_id = c.run_id ORDER BY n.created_change DESC"
            "  LIMIT 1)) AS run, c.begin_us, c.end_us"
            f" FROM {CERTIFICATIONS_AS_OF('c.collection_id = :cid')} AS c"
            " CROSS JOIN dataset_type AS t ON t.dataset_type_id = c.dataset_type_id"
            " CROSS JOIN data_id AS di ON di.data_id_key = c.data_id_key"
            " LEFT JOIN collection AS r ON r.collection_id = c.run_id"
            " WHERE :tid IS NULL OR c.dataset_type_id = :tid"
            " ORDER BY t.name, c.data_id_key, c.begin_us",
            {"cid": m.id, "tid": tid, "e": m.epoch})
        for r in rows:
            value = values.get(r["data_id_key"])
            if value is None:
                value = values[r["data_id_key"]] = json.loads(r["value"])
            ref = DatasetRef(_uuid(r["dataset_id"]), r["type"], dict(value), r["run"])
            out.append(Certification(ref, _timespan(r["begin_us"], r["end_us"]), m.name))
        return out

    def _list_collections_as_of(self, type: str | None, as_of: int) -> list[CollectionInfo]:
        """calib.list_collections as of an epoch: the collections visible then, with their
        name, type and state then (the doc has no history: today's, None if removed), and
        a snapshot's source and epoch."""
        with self._read():
            epoch = self._as_of(as_of)  # type: ignore[attr-defined]
            rows = self._q(
                f"SELECT v.name, v.type, c.doc, v.state, {SNAPSHOT_COLUMNS}"
                f" FROM collection_version AS v"
                f" LEFT JOIN collection AS c ON c.collection_id = v.collection_id"
                f" LEFT JOIN snapshot AS s ON s.collection_id = v.collection_id"
                f" WHERE {VISIBLE('v')} AND (:t IS NULL OR v.type = upper(:t)) ORDER BY v.name",
                {"e": epoch, "t": type})
            return [collection_info(r) for r in rows]

    def _get_chain_as_of(self, parent: str, as_of: int) -> list[str]:
        with self._read():
            epoch = self._as_of(as_of)  # type: ignore[attr-defined]
            p = self._collection_as_of(parent, epoch, ("CHAINED",))
            return self._chain_as_of(p.id, epoch)  # type: ignore[attr-defined]
