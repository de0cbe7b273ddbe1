"""What a revert does, and how its conflicts are named (twins sql/functions/_revert_actions.sql
and _revert_conflict.sql; differs by necessity: no certification_id, so a certification is
named by (collection, data ID key, begin), and no writer lists, so a collection's ``writers``
is always null).

:meth:`RevertActions._revert_actions` lists the rows reverting a change removes or restores,
in the order calib._revert_actions gives them; :meth:`RevertActions._revert_conflict` raises
the RevertConflictError (KC019) with the details calib._revert_conflict builds (the one
place they are built on this backend). Both read; neither writes.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ...history import RevertRow
from .states import States
from .values import MIN_US, _err, _span_json, _timespan, _uuid

#: The name a collection bore last (its latest version), as the SQL names a row's
#: collection or a chain's child (also a removed one).
_NAME = ("(SELECT n.name FROM collection_version AS n WHERE n.collection_id = {col}"
         " ORDER BY n.created_change DESC LIMIT 1)")

#: calib._revert_actions: (step, action, collection id, key, dataset, begin, end, position,
#: child id, type, state), one row per row the revert of change :p removes or restores.
_ITEMS = f"""
WITH items AS (
    SELECT 1 AS step, 'remove certification' AS action, c.collection_id AS cid,
           c.data_id_key AS k, c.dataset_id AS ds, c.begin_us AS b, c.end_us AS e,
           NULL AS pos, NULL AS child, NULL AS ctype, NULL AS cstate
    FROM certification AS c WHERE c.created_change = :p
    UNION ALL
    SELECT 2, 'remove tag', v.collection_id, v.data_id_key, v.dataset_id, NULL, NULL, NULL,
           NULL, NULL, NULL
    FROM tag_version AS v WHERE v.created_change = :p AND v.removed_change IS NULL
    UNION ALL
    SELECT 3, 'remove chain position', v.parent_id, NULL, NULL, NULL, NULL, v.position,
           v.child_id, NULL, NULL
    FROM chain_version AS v WHERE v.created_change = :p AND v.removed_change IS NULL
    UNION ALL
    SELECT 4, 'remove dataset', v.run_id, v.data_id_key, v.dataset_id, NULL, NULL, NULL,
           NULL, NULL, NULL
    FROM dataset_version AS v WHERE v.created_change = :p AND v.removed_change IS NULL
    UNION ALL
    SELECT CASE WHEN o.collection_id IS NULL THEN 5 ELSE 11 END,
           CASE WHEN o.collection_id IS NULL THEN 'remove collection'
                ELSE 'restore collection settings' END,
           v.collection_id, NULL, NULL, NULL, NULL, NULL, NULL, o.type, o.state
    FROM collection_version AS v
    LEFT JOIN collection_version AS o
      ON o.collection_id = v.collection_id AND o.removed_change = :p
    WHERE v.created_change = :p AND v.removed_change IS NULL
    UNION ALL
    SELECT 6, 'restore collection', o.collection_id, NULL, NULL, NULL, NULL, NULL, NULL,
           o.type, o.state
    FROM collection_version AS o
    WHERE o.removed_change = :p
      AND NOT EXISTS (SELECT 1 FROM collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = :p)
    UNION ALL
    SELECT 7, 'restore dataset', v.run_id, v.data_id_key, v.dataset_id, NULL, NULL, NULL,
           NULL, NULL, NULL
    FROM dataset_version AS v WHERE v.removed_change = :p
    UNION ALL
    SELECT 8, 'restore chain position', v.parent_id, NULL, NULL, NULL, NULL, v.position,
           v.child_id, NULL, NULL
    FROM chain_version AS v WHERE v.removed_change = :p
    UNION ALL
    SELECT 9, 'restore tag', v.collection_id, v.data_id_key, v.dataset_id, NULL, NULL, NULL,
           NULL, NULL, NULL
    FROM tag_version AS v WHERE v.removed_change = :p
    UNION ALL
    SELECT 10, 'restore certification', v.collection_id, v.data_id_key, v.dataset_id,
           v.begin_us, v.end_us, NULL, NULL, NULL, NULL
    FROM certification_version AS v WHERE v.removed_change = :p
)
SELECT i.step, i.action, {_NAME.format(col="i.cid")} AS name, t.name AS type_name,
       i.k, i.ds, i.b, i.e, i.pos, {_NAME.format(col="i.child")} AS child_name,
       i.ctype, i.cstate
FROM items AS i
LEFT JOIN data_id AS di ON di.data_id_key = i.k
LEFT JOIN dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
"""


def _sort_key(r: Any) -> tuple[Any, ...]:
    """calib._revert_actions' ORDER BY: step, collection name, dataset type name, data ID
    key, begin (unbounded first), position; PostgreSQL sorts NULLs last except the begin."""
    def last(v: Any) -> tuple[bool, Any]:
        return (v is None, "" if v is None else v)
    return (r["step"], last(r["name"]), last(r["type_name"]), last(r["k"]),
            (r["b"] is not None, MIN_US if r["b"] is None else r["b"]), last(r["pos"]))


class RevertActions(States):
    def _revert_actions(self, change: int) -> list[RevertRow]:
        rows = sorted(self._q(_ITEMS, {"p": change}), key=_sort_key)
        values = self._data_id_values(r["k"] for r in rows if r["k"] is not None)
        out = []
        for r in rows:
            detail: dict[str, Any] | None = None
            if r["pos"] is not None:
                detail = {"position": r["pos"], "child": r["child_name"]}
            elif r["ctype"] is not None:
                detail = {"type": r["ctype"], "state": r["cstate"], "writers": None}
            out.append(RevertRow(
                r["action"], r["name"], r["type_name"],
                None if r["k"] is None else dict(values[r["k"]]),
                None if r["ds"] is None else _uuid(r["ds"]),
                None if r["b"] is None else _timespan(r["b"], r["e"]), detail))
        return out

    def _epoch_of(self, change: int | None) -> int | None:
        """The epoch of change ``change``: its id once sealed, None while it is open (the
        caller's own uncommitted change)."""
        if change is None:
            return None
        row = self._one("SELECT change_id FROM change WHERE change_id = ? AND open IS NULL",
                        (change,))
        return None if row is None else row[0]

    def _collection_name(self, collection_id: int) -> str | None:
        """The name collection ``collection_id`` bears, else the one it bore last."""
        row = self._one("SELECT coalesce((SELECT name FROM collection WHERE collection_id = :c),"
                        f" {_NAME.format(col=':c')})", {"c": collection_id})
        return row[0]

    def _revert_conflict(self, kind: str, epoch: int, later: int | None, what: str,
                         collection_id: int, key: int | None = None, dataset: bytes | None = None,
                         span: tuple[int, int] | None = None,
                         extra: dict[str, Any] | None = None) -> NoReturn:
        """calib._revert_conflict: the RevertConflictError of reverting ``epoch``, which the
        later change ``later`` (a change id; None or open: this transaction) stands in the
        way of, at a row of ``what`` in collection ``collection_id``."""
        extra = extra or {}
        name = self._collection_name(collection_id)
        dtype = data_id = validity = None
        if key is not None:
            dtype = self._one("SELECT t.name FROM data_id AS di JOIN dataset_type AS t"
                              " ON t.dataset_type_id = di.dataset_type_id"
                              " WHERE di.data_id_key = ?", (key,))[0]
            data_id = self._data_id_values([key])[key]
            validity = None if span is None else _span_json(*span)
        later_epoch = self._epoch_of(later)
        missing, position, child = extra.get("missing"), extra.get("position"), extra.get("child")
        uid = None if dataset is None else str(_uuid(dataset))
        # One literal kind per call, every fact named (tests/test_error_messages.py).
        if kind == "revert_row_changed":
            exc = _err("revert_row_changed", epoch=epoch, later_epoch=later_epoch, what=what,
                       collection=name, missing=missing, dataset_type=dtype,
                       data_id=data_id, dataset=uid, validity=validity, position=position,
                       child=child)
        elif kind == "revert_in_use":
            exc = _err("revert_in_use", epoch=epoch, later_epoch=later_epoch, what=what,
                       collection=name, missing=missing, dataset_type=dtype,
                       data_id=data_id, dataset=uid, validity=validity, position=position,
                       child=child)
        elif kind == "revert_occupied":
            exc = _err("revert_occupied", epoch=epoch, later_epoch=later_epoch, what=what,
                       collection=name, missing=missing, dataset_type=dtype,
                       data_id=data_id, dataset=uid, validity=validity, position=position,
                       child=child)
        else:
            exc = _err("revert_target_removed", epoch=epoch, later_epoch=later_epoch,
                       what=what, collection=name, missing=missing,
                       dataset_type=dtype, data_id=data_id, dataset=uid, validity=validity,
                       position=position, child=child)
        # The details calib._revert_conflict builds: the dataset facts for a dataset row
        # only, the position facts for a chain position only.
        for k in ((() if key is not None else ("dataset_type", "data_id", "dataset", "validity"))
                  + (() if "position" in extra else ("position", "child"))):
            exc.details.pop(k)
        raise exc
