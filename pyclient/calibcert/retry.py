"""Honest retries: a deadlock victim or a serialization failure is run again, whole.

PostgreSQL cancels one transaction of a deadlock (40P01) or a transaction whose snapshot
lost a race (40001); nothing of it is kept, and running it again is the documented cure
(README "Locks, waits and retries"). Both arrive as
:class:`~calibcert.errors.TransactionConflictError`. Two places retry, and only where
rerunning is safe:

* a **single call made outside any transaction** (the client's own one-statement
  transaction): :func:`call_with_retries`, up to :data:`CALL_ATTEMPTS` attempts in all;
* a **whole transaction block**, when the caller asks for it:
  ``for attempt in reg.transaction(retries=3): with attempt: ...`` (:class:`Transaction`).
  A ``with`` block cannot be rerun in Python, so the retrying form is a loop of attempts,
  as in tenacity; ``with reg.transaction():`` is unchanged and never retries.

Never inside a caller's transaction: there the whole transaction was cancelled, and only
its owner can run it again. A lock timeout (55P03) is not retried: the caller chose the
bound. Between attempts the client sleeps a jittered, growing delay (:func:`backoff`), so
that two victims of one deadlock do not meet again in step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TypeVar

from .errors import InvalidArgumentError, TransactionConflictError

_T = TypeVar("_T")

#: Attempts in all for a single call made outside a transaction (the first and 3 retries).
CALL_ATTEMPTS = 4
#: Backoff: the n-th retry sleeps BACKOFF_BASE * 2**(n-1) seconds, at most BACKOFF_CAP,
#: times a random factor in [0.5, 1.5).
BACKOFF_BASE = 0.02
BACKOFF_CAP = 1.0


def backoff(retry: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to sleep before retry number ``retry`` (1, 2, ...): jittered, growing."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (retry - 1)) * (0.5 + rng())


def call_with_retries(fn: Callable[[], _T], attempts: int = CALL_ATTEMPTS) -> _T:
    """``fn()``, run again (after :func:`backoff`) while it fails with
    TransactionConflictError, ``attempts`` times in all; the last error is raised. Only
    for a call that is a transaction of its own (the backends check that)."""
    for n in range(1, attempts + 1):
        try:
            return fn()
        except TransactionConflictError:
            if n == attempts:
                raise
            time.sleep(backoff(n))
    raise AssertionError("unreachable")  # attempts >= 1


class Attempt:
    """One run of a retrying transaction block (``with attempt: ...``): the block runs in
    a transaction; if it fails with TransactionConflictError and attempts remain, the
    error is swallowed (the transaction was rolled back) and the loop runs the block again.
    ``number`` counts from 1."""

    def __init__(self, owner: Transaction, number: int) -> None:
        self._owner = owner
        self.number = number
        self._cm: AbstractContextManager[None] | None = None

    def __enter__(self) -> Attempt:
        self._cm = self._owner._open()
        self._cm.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        assert self._cm is not None
        try:
            # Commits, or rolls back (and returns False, or raises what ending it raised).
            suppressed = self._cm.__exit__(exc_type, exc, tb)
        except TransactionConflictError:
            if self.number > self._owner.retries:
                raise
            self._owner._retry_after(self.number)
            return True
        if exc is None or suppressed:
            self._owner._done = True
            return bool(suppressed)
        if isinstance(exc, TransactionConflictError) and self.number <= self._owner.retries:
            self._owner._retry_after(self.number)
            return True  # rolled back: the loop runs the block again
        self._owner._done = True
        return False


class Transaction:
    """What :meth:`calibcert.Registry.transaction` returns.

    ``with reg.transaction():`` groups calls into one atomic unit (a savepoint when
    nested); it never retries, and with ``retries`` it is refused (a ``with`` block cannot
    be rerun). ``for attempt in reg.transaction(retries=N): with attempt: ...`` runs the
    block in a transaction, and again, up to N more times, while it fails with
    TransactionConflictError (deadlock victim or serialization failure); the last failure
    is raised. Only as the outermost transaction."""

    def __init__(self, open_: Callable[[], AbstractContextManager[None]],
                 in_transaction: Callable[[], bool], retries: int = 0) -> None:
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidArgumentError(f"retries must be an int >= 0, not {retries!r}")
        self._open = open_
        self._in_transaction = in_transaction
        self.retries = retries
        self._cm: AbstractContextManager[None] | None = None
        self._done = False

    # -- the plain block ---------------------------------------------------------------

    def __enter__(self) -> None:
        if self.retries:
            raise InvalidArgumentError(
                "a `with` block cannot be run again: write `for attempt in "
                "reg.transaction(retries=N):` and then `with attempt:` around the block")
        self._cm = self._open()
        self._cm.__enter__()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool | None:
        assert self._cm is not None
        return self._cm.__exit__(exc_type, exc, tb)

    # -- the retrying loop --------------------------------------------------------------

    def __iter__(self) -> Iterator[Attempt]:
        if self._in_transaction():
            raise InvalidArgumentError(
                "transaction(retries=...) must be the outermost transaction: inside a "
                "caller's transaction a deadlock cancels the whole of it, which only its "
                "owner can run again")
        number = 0
        while not self._done:
            number += 1
            if number > self.retries + 1:
                # The block swallowed nothing and did not finish: it never entered the
                # attempt (e.g. `continue` before `with attempt:`). Stop rather than loop.
                raise RuntimeError("calibcert: each attempt must run `with attempt:`")
            yield Attempt(self, number)

    def _retry_after(self, number: int) -> None:
        time.sleep(backoff(number))
