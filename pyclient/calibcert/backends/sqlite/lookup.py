"""Lookups: find and find_many (twins sql/functions/find.sql, find_many.sql, _lookup.sql and
_lookup_one.sql; differs by necessity: the search path of a (collection, dataset type) is
cached per connection and re-validated by the catalog version read in each probe, where
PostgreSQL reads calib.search_path in the lookup statement itself)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ...errors import (
    DataIdError,
)
from ...registry import At
from ...types import (
    DatasetRef,
)
from .catalog import _MISS, Catalog, _DataIds, _Member, _Plan
from .connection import _VERSION
from .values import (
    _EPOCH,
    _ONE_US,
    ROWS_PER_FETCH,
    _begin_us,
    _end_us,
    _err,
    _span_json,
    _ts_text,
    _uuid,
    _uuid_hex,
)

# -- the rule, written once ------------------------------------------------------------------
# A query is a data-ID key and a span [qb, qe) (an instant t is [t, t+1us); qb NULL, for
# at=None, skips CALIBRATION members). The search path's members are tried in order and the
# first member with any match decides (_decide). In a RUN or TAGGED member a data ID matches
# at most one dataset (by construction). In a CALIBRATION member the certifications of one
# key never overlap, so only the last one beginning before qe can match (it does iff it
# ends after qb: _MATCH), and only the one before it can match too (_SECOND): the lookup is
# then ambiguous, which _raise_ambiguous reports. Every statement below is built from these
# fragments; none states the rule again.


def _last(cid: str, k: str, qe: str) -> str:
    """The certifications of key ``k`` in CALIBRATION member ``cid`` that begin before ``qe``,
    latest first (one index range, read from its end)."""
    return (f"FROM certification AS c WHERE c.collection_id = {cid} AND c.data_id_key = {k}"
            f" AND c.begin_us < {qe} ORDER BY c.begin_us DESC")


def _match(column: str, qb: str) -> str:
    """``column`` of the certification _last found first, if it matches (NULL if not)."""
    return f"CASE WHEN c.end_us > {qb} THEN {column} END"


def _second(cid: str, k: str, qb: str, qe: str) -> str:
    """1 if a second certification of the key matches (ambiguous), else 0."""
    return f"coalesce((SELECT c.end_us > {qb} {_last(cid, k, qe)} LIMIT 1 OFFSET 1), 0)"


#: The interned key of data ID ?3 (canonical text) of dataset type ?2.
_KEY = "(SELECT di.data_id_key FROM data_id AS di WHERE di.dataset_type_id = ?2 AND di.value = ?3)"

#: One query in one member, also reading the catalog version (the cached plan is valid while
#: it is unchanged). Positional parameters: member id, dataset type id, data-ID text, and for
#: CALIBRATION qe, qb. Rows (dataset_id or NULL, run_id, ambiguous, version); no row: no
#: match. Keyed by (member type, instant?): an instant cannot match two certifications, so
#: it skips the ambiguity probe. One table each, so ORDER BY follows the primary key.
_PROBE = {
    ("CALIBRATION", instant): f"""
        SELECT {_match("c.dataset_id", "?5")}, c.run_id,
               {"0" if instant else _second("?1", _KEY, "?5", "?4")}, ({_VERSION})
        {_last("?1", _KEY, "?4")} LIMIT 1"""
    for instant in (True, False)
}
_PROBE["RUN", True] = _PROBE["RUN", False] = f"""
    SELECT d.dataset_id, d.run_id, 0, ({_VERSION}) FROM dataset AS d
    WHERE d.run_id = ?1 AND d.data_id_key = {_KEY}"""
_PROBE["TAGGED", True] = _PROBE["TAGGED", False] = f"""
    SELECT g.dataset_id, g.run_id, 0, ({_VERSION}) FROM tag AS g
    WHERE g.collection_id = ?1 AND g.data_id_key = {_KEY}"""

#: Queries given as JSON [[ord, data-ID text, qb, qe], ...] with their interned keys (queries
#: whose data ID was never stored match nothing and are left out). The JSON rows drive the
#: join (CROSS JOIN fixes the order: without statistics the planner would rather scan the
#: table and probe the JSON).
_QUERIES = """
    FROM (SELECT json_extract(j.value, '$[0]') AS ord, json_extract(j.value, '$[1]') AS v,
                 json_extract(j.value, '$[2]') AS qb, json_extract(j.value, '$[3]') AS qe
          FROM json_each(:queries) AS j) AS q
    CROSS JOIN data_id AS di ON di.dataset_type_id = :tid AND di.value = q.v"""

#: Many queries in one member: rows (ord, dataset_id, run_id, ambiguous) for the matches.
_MEMBER = {
    "CALIBRATION": f"""
        SELECT * FROM (SELECT q.ord,
            (SELECT {_match("c.dataset_id", "q.qb")} {_last(":cid", "di.data_id_key", "q.qe")}
             LIMIT 1) AS dataset_id,
            (SELECT c.run_id {_last(":cid", "di.data_id_key", "q.qe")} LIMIT 1),
            CASE WHEN q.qe - q.qb > 1 THEN {_second(":cid", "di.data_id_key", "q.qb", "q.qe")}
                 ELSE 0 END
        {_QUERIES} WHERE q.qb IS NOT NULL) WHERE dataset_id IS NOT NULL""",
    "RUN": f"""
        SELECT q.ord, d.dataset_id, d.run_id, 0 {_QUERIES}
        CROSS JOIN dataset AS d ON d.run_id = :cid AND d.data_id_key = di.data_id_key""",
    "TAGGED": f"""
        SELECT q.ord, g.dataset_id, g.run_id, 0 {_QUERIES}
        CROSS JOIN tag AS g ON g.collection_id = :cid AND g.data_id_key = di.data_id_key""",
}

#: The same in a CALIBRATION member when every query is an instant, made for 10^4 queries
#: and more: data ID text :texts[j] (a JSON array of strings) at instant t = the j-th
#: 20-character decimal of blob :times (substr of a blob is O(1): no JSON to parse per
#: query, the floor's costliest step). Rows (j, hit): hit NULL where nothing matched, else
#: 'run_id:DATASET_ID_IN_HEX' (a scalar subquery returns one value: a second probe for the
#: RUN cost about a quarter of the statement). No ambiguity: an instant meets at most one.
_MEMBER_AT = f"""
    SELECT q.j, (SELECT {_match("c.run_id || ':' || hex(c.dataset_id)", "q.t")}
                 {_last(":cid", "di.data_id_key", "q.t + 1")} LIMIT 1)
    FROM (SELECT j.key AS j, j.value AS v,
                 CAST(substr(:times, j.key * 20 + 1, 20) AS INTEGER) AS t
          FROM json_each(:texts) AS j) AS q
    CROSS JOIN data_id AS di ON di.dataset_type_id = :tid AND di.value = q.v"""

#: The certifications a query matches in a member (all of them: the ambiguous case, and
#: explain's rows), by begin. Parameters: member id, dataset type id, data-ID text, qe, qb.
_MATCHES = ("SELECT c.dataset_id, c.run_id, c.begin_us, c.end_us, c.created_change"
            " FROM certification AS c WHERE c.collection_id = ?"
            " AND c.data_id_key = (SELECT data_id_key FROM data_id"
            " WHERE dataset_type_id = ? AND value = ?)"
            " AND c.begin_us < ? AND c.end_us > ? ORDER BY c.begin_us")


class _Stale(Exception):
    """The cached plan no longer holds (the catalog changed): the general path answers."""


def _decide(members: tuple[_Member, ...], pending: list[int],
            probe: Callable[[int, _Member, list[int]], Iterable[int]]) -> None:
    """THE RULE: the first member of the search path with any match decides a query.
    ``probe(pos, member, pending)`` looks the pending queries up in one member, records
    its answers and returns the queries it matched; they are decided."""
    last = len(members) - 1
    for pos, member in enumerate(members):
        matched = probe(pos, member, pending)
        if pos == last:
            return
        if matched:
            matched = set(matched)
            pending = [i for i in pending if i not in matched]
        if not pending:
            return


class Lookup(Catalog):
    def _find_many(self, collection: str, dataset_type: str, data_ids: list[dict[str, Any]],
                   times: list[At]) -> list[DatasetRef | None]:
        if len(data_ids) == 1:
            found = self._find_cached(collection, dataset_type, data_ids[0], times[0])
            if found is not _MISS:
                return [found]  # type: ignore[list-item]
        with self._read():
            self._sync()
            plan = self._plan(collection, dataset_type)
            texts = self._data_id_texts(plan.enc, data_ids)
            out: list[DatasetRef | None] = [None] * len(data_ids)
            ambiguous: list[tuple[int, int]] = []  # (query, member position)
            at_instants = all(isinstance(at, datetime) for at in times)

            keys: dict[str, int] = self._keys(  # type: ignore[attr-defined]
                plan.dtype.id, texts) if plan.as_of else {}
            spans = [_query_span(at) for at in times] if plan.as_of else []

            def probe(pos: int, member: _Member, pending: list[int]) -> Iterable[int]:
                if member.epoch is not None:  # a snapshot's source, as of its epoch
                    return self._probe_versions(  # type: ignore[attr-defined]
                        pos, member, pending, keys, texts, spans, plan.dtype.name, data_ids,
                        out, ambiguous)
                if member.type == "CALIBRATION" and at_instants:
                    return self._member_at(plan, member, pending, data_ids, texts, times, out)
                cur = self._probe_cursor.execute(_MEMBER[member.type], {
                    "cid": member.id, "tid": plan.dtype.id, "queries": json.dumps(
                        [[i, texts[i], *_query_span(times[i])] for i in pending])})
                rows = cur.fetchall()
                names, run_name, type_name = self._run_names, self._run_name, plan.dtype.name
                # data_ids are the registry's own canonical copies: the refs may keep them.
                for i, dataset_id, run_id, second in rows:
                    if second:
                        ambiguous.append((i, pos))
                    out[i] = DatasetRef(_uuid(dataset_id), type_name, data_ids[i],
                                        names.get(run_id) or run_name(run_id))
                return [r[0] for r in rows]

            _decide(plan.members, list(range(len(data_ids))), probe)
            if ambiguous:
                self._raise_ambiguous(plan, data_ids, times, *min(ambiguous))
            return out

    @staticmethod
    def _data_id_texts(enc: _DataIds, data_ids: list[dict[str, Any]]) -> list[str]:
        """The canonical text of each data ID, checked (KC008 for the first bad one, in
        input order). A batch often repeats a data ID, so each distinct one is checked
        and encoded once: they are canonical already (keys str, values int or str, never
        bool), so equal keys and values mean equal text. The key is flat: one tuple, not
        one per item (see _member_at about garbage collections)."""
        by_items: dict[tuple[Any, ...], str] = {}
        out = []
        for data_id in data_ids:
            key = (*data_id, *data_id.values())
            text = by_items.get(key)
            if text is None:
                enc.check(data_id)
                text = by_items[key] = enc.text(data_id)
            out.append(text)
        return out

    def _member_at(self, plan: _Plan, member: _Member, pending: list[int],
                   data_ids: list[dict[str, Any]], texts: list[str], times: list[At],
                   out: list[DatasetRef | None]) -> list[int]:
        """_MEMBER_AT for the pending queries; their refs go into ``out``.

        There Python's garbage collections took a third of a call of 10^4 queries (every
        container alive at once counts towards the next one, and a full collection walks
        the whole heap), so the rows are read in slices, not all at once (one at a time is
        slower), and nothing per query is kept but its text."""
        every = len(pending) == len(texts)  # (the usual case: no subset to build)
        cur = self._probe_cursor.execute(_MEMBER_AT, {
            "texts": json.dumps(texts if every else [texts[i] for i in pending]),
            "tid": plan.dtype.id, "cid": member.id, "times": b"".join(
                [b"%020d" % ((at - _EPOCH) // _ONE_US)  # type: ignore[operator]
                 for at in (times if every else [times[i] for i in pending])]),
        })
        matched = []
        names, run_name, type_name = self._run_names, self._run_name, plan.dtype.name
        # data_ids are the registry's own canonical copies: the refs may keep them.
        while rows := cur.fetchmany(ROWS_PER_FETCH):
            for j, hit in rows:
                if hit is not None:
                    i = j if every else pending[j]
                    run, _, ident = hit.partition(":")
                    run_id = int(run)
                    out[i] = DatasetRef(_uuid_hex(ident), type_name, data_ids[i],
                                        names.get(run_id) or run_name(run_id))
                    matched.append(i)
        return matched

    def _find_cached(self, collection: str, dataset_type: str, data_id: dict[str, Any],
                     at: At) -> DatasetRef | None | object:
        """One lookup answered from the cached plan by one probe statement per member (one
        statement in all for a single-member search path), each also reading the catalog
        version: the answer stands only if the cache is still valid. Anything else (no plan
        yet, an error to report, an ambiguous match) is left to the general path: _MISS."""
        plan = self._plans.get((collection, dataset_type))
        if plan is None or self._cv is None or plan.as_of:
            return _MISS
        try:
            plan.enc.check(data_id)
        except DataIdError:
            return _MISS  # the general path reports it, after the names (as SQL does)
        text = plan.enc.text(data_id)
        qb, qe = _query_span(at)
        instant = isinstance(at, datetime)
        try:
            if len(plan.members) == 1:  # the common case: one statement, no snapshot
                return self._probe(plan, plan.members[0], text, qb, qe, instant, data_id)
            found: list[DatasetRef] = []

            def probe(pos: int, member: _Member, pending: list[int]) -> Iterable[int]:
                ref = self._probe(plan, member, text, qb, qe, instant, data_id)
                if ref is None:
                    return ()
                found.append(ref)
                return pending

            with self._read():
                _decide(plan.members, [0], probe)
                if not found and self._one(_VERSION)[0] != self._cv:
                    return _MISS
            return found[0] if found else None
        except _Stale:
            return _MISS

    def _probe(self, plan: _Plan, member: _Member, text: str, qb: int | None, qe: int | None,
               instant: bool, data_id: dict[str, Any]) -> DatasetRef | None:
        """_PROBE: the match of one query in one member, or None; _Stale if the catalog
        changed or the match is ambiguous (the general path raises with the details)."""
        cur = self._probe_cursor
        if member.type == "CALIBRATION":
            if qb is None:  # no time: CALIBRATION members are skipped
                if cur.execute(_VERSION).fetchall()[0][0] != self._cv:
                    raise _Stale
                return None
            rows = cur.execute(_PROBE[member.type, instant],
                               (member.id, plan.dtype.id, text, qe, qb)).fetchall()
        else:
            rows = cur.execute(_PROBE[member.type, instant],
                               (member.id, plan.dtype.id, text)).fetchall()
        # fetchall, not fetchone: the statement must run to its end, or its read snapshot
        # would stay open on the connection until the next probe.
        if not rows:
            if cur.execute(_VERSION).fetchall()[0][0] != self._cv:
                raise _Stale
            return None
        dataset_id, run_id, second, version = rows[0]
        if version != self._cv or second:
            raise _Stale
        if dataset_id is None:
            return None
        run = member.name if member.type == "RUN" else self._run_names.get(run_id)
        if run is None:
            raise _Stale
        # data_id is the registry's own canonical copy: the ref may keep it.
        return DatasetRef(_uuid(dataset_id), plan.dtype.name, data_id, run)

    def _raise_ambiguous(self, plan: _Plan, data_ids: list[dict[str, Any]], times: list[At],
                         i: int, pos: int) -> None:
        """KC011 for query ``i``, ambiguous in search-path member ``pos``."""
        member = plan.members[pos]
        qb, qe = _query_span(times[i])
        text = plan.enc.text(data_ids[i])
        if member.epoch is not None:  # a snapshot's source, as of its epoch
            datasets = self._ambiguous_as_of(  # type: ignore[attr-defined]
                member, self._keys(plan.dtype.id, [text])[text],  # type: ignore[attr-defined]
                qb, qe)
        else:
            datasets = [str(_uuid(r["dataset_id"])) for r in self._q(_MATCHES, (
                member.id, plan.dtype.id, text, qe, qb))]
        if isinstance(times[i], datetime):
            raise _err("lookup_ambiguous_at", collection=member.name, searched=plan.coll.name,
                       dataset_type=plan.dtype.name, data_id=data_ids[i], datasets=datasets,
                       at=_ts_text(qb))
        raise _err("lookup_ambiguous_during", collection=member.name, searched=plan.coll.name,
                   dataset_type=plan.dtype.name, data_id=data_ids[i], datasets=datasets,
                   timespan=_span_json(qb, qe))



def _query_span(at: At) -> tuple[int | None, int | None]:
    """A lookup time as [qb, qe) in microseconds: an instant t is [t, t+1µs), None skips
    CALIBRATION members."""
    if isinstance(at, datetime):
        t = (at - _EPOCH) // _ONE_US
        return t, t + 1
    if at is None:
        return None, None
    return _begin_us(at.begin), _end_us(at.end)
