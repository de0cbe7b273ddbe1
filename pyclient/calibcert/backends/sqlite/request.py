"""Request ids: idempotent retries (twins sql/functions/_request.sql, _request_result.sql and
the request-id lines of the mutating functions; README "Retention and request ids"; differs
by necessity: SQLite serializes writers (BEGIN IMMEDIATE), so a transaction never meets
another's uncommitted claim (no wait, no snapshot conflict), and a change's role is the
operating-system user that committed it (SQLite has no roles)).

A request id names one change (one top-level transaction, ``reg.transaction(request_id=)``).
Every mutating call of that transaction first asks :meth:`Requests._request`:

* this transaction holds the id (its change claimed it at an earlier call): the call runs
  and its result is recorded (:meth:`Requests._request_result`, appended to
  ``change.results``);
* a committed change holds it: the call returns the result of the call at the same
  position of that change and changes nothing (the n-th call gets the n-th result); a call
  that does not match (another operation, or more calls than the change made) is
  ``request_id_mismatch``; another user's change is ``request_id_foreign``, without its
  result;
* nobody holds it: this transaction's change is opened now and claims the id (the unique
  index change_request_id_key), and the call runs.

The transaction's change already opened by a write without the id (raw SQL through the
registry's connection) is ``request_id_late``; an id longer than 200 characters
``request_id_invalid``. :func:`with_request_ids` puts the check and the record around every
mutating primitive of the registry (:data:`REQUESTED`), as each PostgreSQL function calls
calib._request first and calib._request_result last.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from ...errors import error
from ...history import request_id_nested
from ...types import DatasetRef
from .epochs import _os_user

_R = TypeVar("_R", bound=type)


def _same(value: Any, _args: tuple[Any, ...]) -> Any:
    return value


def _refs_json(refs: list[DatasetRef]) -> list[dict[str, Any]]:
    return [{"dataset_id": str(r.id), "data_id": r.data_id} for r in refs]


def _refs(value: list[dict[str, Any]], args: tuple[Any, ...]) -> list[DatasetRef]:
    # insert_datasets(dataset_type, run, ...): the refs as the call returned them.
    return [DatasetRef(uuid.UUID(v["dataset_id"]), args[0], v["data_id"], args[1])
            for v in value]


#: Every mutating primitive taking part (calib's mutating functions that SQLite has;
#: set_collection_writers is refused on SQLite before anything else): its result as JSON,
#: and back. The rest return an int, a bool, a state name or nothing: JSON as they are.
REQUESTED: dict[str, tuple[Callable[[Any], Any], Callable[[Any, tuple[Any, ...]], Any]]] = {
    "register_collection": (bool, _same),
    "set_chain": (lambda _: None, _same),
    "remove_collection": (lambda _: None, _same),
    "copy_collection": (lambda _: None, _same),
    "set_collection_state": (str, _same),
    "register_dataset_type": (bool, _same),
    "insert_datasets": (_refs_json, _refs),
    "tag": (int, _same),
    "untag": (int, _same),
    "certify": (int, _same),
    "certify_series": (int, _same),
    "decertify": (int, _same),
    "close_open_range": (int, _same),
}

#: The longest request id (as calib._request).
MAX_LENGTH = 200


class Requests:
    """The request id of the transaction in progress (a mixin of SqliteRegistry)."""

    _conn: Any
    _write: Any
    _in_transaction: Any
    #: The id of the outermost transaction in progress, None without one.
    _request_id: str | None = None
    #: Replaying a committed change: the position of the next call (PostgreSQL's setting
    #: calib._replay_call), None otherwise.
    _replay_call: int | None = None

    def _request_transaction(self, request_id: str) -> Callable[[], AbstractContextManager[None]]:
        @contextmanager
        def opened() -> Iterator[None]:
            if self._in_transaction():
                raise request_id_nested()
            with self._write():
                self._request_id, self._replay_call = request_id, None
                try:
                    yield
                finally:  # the id is the transaction's only (PostgreSQL: set_config(.., true))
                    self._request_id = self._replay_call = None

        return opened

    def _transaction(self) -> AbstractContextManager[None]:
        return self._replay_scope(super()._transaction())  # type: ignore[misc]

    @contextmanager
    def _replay_scope(self, inner: AbstractContextManager[None]) -> Iterator[None]:
        """A nested transaction() block undone puts the replay position back, as a
        rolled-back savepoint undoes PostgreSQL's transaction-local setting."""
        position = self._replay_call
        try:
            with inner:
                yield
        except BaseException:
            if self._request_id is not None:
                self._replay_call = position
            raise

    def _request(self, op: str) -> dict[str, Any] | None:
        """calib._request: None (the call runs) or the recorded {"op", "result"} to
        return. Inside the call's write transaction."""
        rid = self._request_id
        assert rid is not None
        if len(rid) > MAX_LENGTH:
            raise error("request_id_invalid", length=len(rid))
        n = self._replay_call
        if n is None:
            own = self._conn.execute(
                "SELECT change_id, request_id FROM change WHERE open = 1").fetchone()
            if own is not None:  # this transaction's change: the id is its own, or late
                if own[1] != rid:
                    raise error("request_id_late", request_id=rid)
                return None
            held = self._held(rid)
            if held is None:  # the claim: this transaction's change carries the id now
                change = self._change_id()  # type: ignore[attr-defined]
                self._conn.execute("UPDATE change SET request_id = ? WHERE change_id = ?",
                                   (rid, change))
                return None
            if held[1] != _os_user():
                raise error("request_id_foreign", request_id=rid)
            n = 0
        else:
            held = self._held(rid)
        epoch, _role, results = held
        steps = json.loads(results) if results else []
        step = steps[n] if n < len(steps) else None
        if step is None or step.get("op") != op:
            raise error("request_id_mismatch", request_id=rid, epoch=epoch, call=n + 1,
                        recorded=None if step is None else step.get("op"), operation=op)
        self._replay_call = n + 1
        return step

    def _held(self, rid: str) -> Any:
        """The committed change holding ``rid``: (epoch, db_role, results), or None."""
        return self._conn.execute(
            "SELECT change_id, db_role, results FROM change"
            " WHERE request_id = ? AND open IS NULL", (rid,)).fetchone()

    def _request_result(self, op: str, result: Any) -> None:
        """calib._request_result: appended to this transaction's change when it carries
        the id (a replaying transaction has no such change: nothing is recorded)."""
        self._conn.execute(
            "UPDATE change SET results = json_insert(coalesce(results, '[]'), '$[#]', json(?))"
            " WHERE open = 1 AND request_id = ?",
            (json.dumps({"op": op, "result": result}), self._request_id))


def _requested(op: str, method: Callable[..., Any]) -> Callable[..., Any]:
    encode, decode = REQUESTED[op]

    @functools.wraps(method)
    def call(self: Any, *args: Any) -> Any:
        if self._request_id is None:
            return method(self, *args)  # no id: the call as it always was
        # The call's savepoint: a failing call undoes its claim and its record too.
        with self._write():
            step = self._request(op)
            if step is not None:
                return decode(step["result"], args)
            result = method(self, *args)
            self._request_result(op, encode(result))
            return result

    return call


def with_request_ids(cls: _R) -> _R:
    """The class with every primitive of :data:`REQUESTED` wrapped (check, then record)."""
    for op in REQUESTED:
        name = f"_{op}"
        setattr(cls, name, _requested(op, getattr(cls, name)))
    return cls
