"""explain (twins sql/functions/explain.sql, _explain.sql and _member_candidates.sql; README
"Explain"; differs by necessity: the deciding member is found by lookup.py's _decide, the
rule find applies on SQLite, where PostgreSQL asks calib.probe / calib._probe_as_of).

Nothing is decided here: the members are tried by :func:`.lookup._decide` (the one place
"the first member with any match decides" is written on SQLite), and what a member holds is
read by the statements find reads: lookup.py's ``_MATCHES`` (every certification a query
matches now, the statement that names an ambiguous lookup's datasets) and as_of.py's
:meth:`~.as_of.AsOf._hits_as_of` (what a member held as of an epoch, find's as-of probe),
uncut; RUN and TAGGED members now by :data:`_HELD`, the equality find's probe tests, with
the change that created the row. tests/test_behaviour_explain.py compares explain with find
for random histories on both backends, and the two backends' rows with each other.
"""

from __future__ import annotations

from typing import Any

from ...explain import ExplainRow
from ...registry import At
from .as_of import AsOf
from .catalog import _Member, _Type
from .epochs import _OPEN_CHANGE
from .lookup import _MATCHES, _decide, _query_span
from .values import _timespan, _uuid

#: What a RUN or TAGGED member holds now for data-ID key ?2 (at most one dataset: a RUN
#: holds one per data ID, a TAGGED collection tags one), with the change that created its
#: current version (calib._member_candidates reads the same). Columns as _MATCHES'.
_HELD = {
    "RUN": "SELECT d.dataset_id, d.run_id, NULL, NULL, v.created_change FROM dataset AS d"
           " LEFT JOIN dataset_version AS v"
           "  ON v.dataset_id = d.dataset_id AND v.removed_change IS NULL"
           " WHERE d.run_id = ?1 AND d.data_id_key = ?2",
    "TAGGED": "SELECT g.dataset_id, g.run_id, NULL, NULL, v.created_change FROM tag AS g"
              " LEFT JOIN tag_version AS v ON v.collection_id = g.collection_id"
              "  AND v.data_id_key = g.data_id_key AND v.dataset_id = g.dataset_id"
              "  AND v.removed_change IS NULL"
              " WHERE g.collection_id = ?1 AND g.data_id_key = ?2",
}


class Explain(AsOf):
    def _explain(self, collection: str, dataset_type: str, data_id: dict[str, Any],
                 at: At, as_of: int | None) -> list[ExplainRow]:
        """calib._explain: the same checks in the same order as find (epoch, collection
        now or as of then, dataset type, data ID), then one row per member of the search
        path: 'no match' before the deciding member, 'match' (one row) or 'ambiguous' (one
        row per match, by begin) for it, 'skipped' after it and, with no time, for
        CALIBRATION members; dataset, validity and creating epoch on the deciding rows."""
        if as_of is None:
            # A change a raw writer committed gets its epoch first (as history does): the
            # only change left open is then the caller's own, whose epoch is None.
            with self._errors():
                self._seal_raw_change()  # type: ignore[attr-defined]
        with self._read():
            if as_of is None:
                epoch = None
                # As find searches it: a snapshot member is its source's members as of
                # the snapshot's epoch (each carrying that epoch).
                members = self._search_members(self._collection(collection).id)
            else:
                epoch = self._as_of(as_of)  # type: ignore[attr-defined]
                members = tuple(self._search_path_as_of(
                    self._collection_as_of(collection, epoch).id, epoch))
            dtype = self._dataset_type(dataset_type)
            enc = self._encoder(dtype)
            enc.check(data_id)
            text = enc.text(data_id)
            key = self._keys(dtype.id, [text]).get(text)
            qb, qe = _query_span(at)
            deciding: list[Any] = []  # (position, its matches)

            def probe(pos: int, member: _Member, pending: list[int]) -> list[int]:
                hits = self._candidates(member, dtype, text, key, qb, qe)  # type: ignore[arg-type]
                if hits:
                    deciding[:] = [pos, hits]
                    return pending
                return []

            # A data ID never stored (no key) matches nothing: nothing is probed (as find).
            if key is not None and members:
                _decide(members, [0], probe)
            open_change = self._one(_OPEN_CHANGE)
            pending = None if open_change is None else open_change[0]
            return _rows(members, deciding, qb is None, pending)

    def _candidates(self, member: _Member, dtype: _Type, text: str, key: int, qb: int | None,
                    qe: int | None) -> list[Any]:
        """Every match of the query in one member (find reads the same, cut at two), read
        at the member's epoch (None: now): rows (dataset_id, run_id, begin_us, end_us,
        created_change)."""
        if member.epoch is not None:  # as of an epoch, or through a snapshot: its own epoch
            return self._hits_as_of(member, key, qb, qe, member.epoch, -1)
        if member.type != "CALIBRATION":
            return self._q(_HELD[member.type], (member.id, key))
        if qb is None:  # no time: find never searches a CALIBRATION member
            return []
        return self._q(_MATCHES, (member.id, dtype.id, text, qe, qb))


def _rows(members: tuple[_Member, ...], deciding: list[Any], no_time: bool,
          pending: int | None) -> list[ExplainRow]:
    """The rows of calib._explain's final SELECT, outcome by outcome."""
    pos_decides, hits = deciding or (None, [])
    out: list[ExplainRow] = []
    for pos, m in enumerate(members):
        rank = pos + 1
        if pos == pos_decides:
            outcome = "ambiguous" if len(hits) > 1 else "match"
            # By begin (an unbounded begin is the smallest), then dataset id (bytes: uuid
            # order on PostgreSQL).
            for h in sorted(hits, key=lambda h: (h[2] is not None, h[2] or 0, h[0])):
                out.append(ExplainRow(
                    rank, m.name, m.type, outcome, _uuid(h[0]),
                    None if h[2] is None else _timespan(h[2], h[3]),
                    None if h[4] == pending else h[4]))
            continue
        if m.type == "CALIBRATION" and no_time:
            outcome = "skipped"
        elif pos_decides is None or pos < pos_decides:
            outcome = "no match"
        else:
            outcome = "skipped"
        out.append(ExplainRow(rank, m.name, m.type, outcome, None, None, None))
    return out
