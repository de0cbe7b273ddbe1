"""Read replicas: lookups served by PostgreSQL hot standbys, writes by the primary.

``calibcert.connect(url, read_urls=[...])`` returns a :class:`ReplicatedRegistry`: every
method of the primary's registry, with the lookups (:data:`READS`) spread round-robin over
the standbys. What a standby answers is never older than the client may see (README
"Deploying at scale"):

* **Read-your-writes.** Any other call may have written; the next read then asks the
  primary once for its WAL insert position (at or after that write's commit record) and
  reads only from a standby that has replayed up to it (``pg_last_wal_replay_lsn()``).
* **Bounded staleness.** Without writes of its own, the client still never reads a state
  older than ``max_lag`` seconds: it samples the primary's WAL position every
  ``max_lag / 2`` seconds and a standby must have replayed the newest sample taken at
  least ``max_lag`` ago (the first sample, right after connecting or after an idle spell).
* **Pinned reads.** A read ``as_of`` epoch E is final (calib.current_epoch()): any standby
  whose ``calib.current_epoch()`` has reached E answers it exactly as the primary does.

A standby that has not caught up is waited for up to ``read_wait`` seconds (the others are
tried meanwhile), then the primary answers. A standby that cannot be reached, is cancelled
by a recovery conflict, or has been promoted (``pg_is_in_recovery()`` false: it no longer
follows the primary) is left out, with a line on the logger ``calibcert.replicas``; an
unreachable one is tried again after ``retry_after`` seconds, a promoted one never. Reads
inside a transaction go to the primary (they belong to it).

What a standby has replayed is asked in one statement (recovery, replay position, epoch),
only when the cached answer does not already show it fresh enough, and at least every
``check_interval`` seconds. Like a Registry, a ReplicatedRegistry is for one thread.
Statements a caller runs itself on ``reg.connection`` (the primary's) are not seen as
writes: read-your-writes covers the registry's own calls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from .errors import (
    CalibCertError,
    ConnectionLostError,
    DatabaseAccessError,
    InvalidArgumentError,
)

logger = logging.getLogger("calibcert.replicas")

#: Methods the standbys serve: pure reads, answered from committed state.
READS = frozenset({
    "find", "find_many", "certifications", "history", "explain", "collection_digest",
    "get_chain", "list_collections", "list_dataset_types", "get_datasets", "query_datasets",
    "collection_stats",
})
#: Reads that take ``as_of``: pinned to an epoch, they need that epoch replayed, nothing more.
PINNED = frozenset({"find", "find_many", "certifications", "explain", "collection_digest",
                    "get_chain", "list_collections", "query_datasets"})
#: Primary methods that cannot have written (they leave read-your-writes alone).
PRIMARY_READS = frozenset({"current_epoch", "epoch_at", "check_integrity", "check_schema",
                           "close"})

#: SQLSTATE classes that end a standby's turn rather than answer: connection exceptions,
#: operator intervention (shutdown, recovery conflict 57P04), insufficient resources,
#: transaction rollback (40001: "canceling statement due to conflict with recovery").
_FAILOVER_CLASSES = ("08", "40", "53", "57")

_STATE = ("SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.pg_last_wal_replay_lsn()::text,"
          " calib.current_epoch()")


def parse_lsn(text: str | None) -> int:
    """A pg_lsn's text ``X/Y`` as a byte position (None: 0)."""
    if not text:
        return 0
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _standby_failed(exc: CalibCertError) -> bool:
    """Whether ``exc`` says the standby could not answer (try another), not what it
    answered (a domain error is the answer, as the primary would give it)."""
    if isinstance(exc, (ConnectionLostError, DatabaseAccessError)):
        return True
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
    return sqlstate[:2] in _FAILOVER_CLASSES


class _Standby:
    """One standby: its registry (opened lazily) and what it was last seen to have."""

    def __init__(self, url: str, opener: Callable[[str], Any]) -> None:
        self.url, self._opener = url, opener
        self.registry: Any = None
        self.replayed = 0  # replay position seen (a lower bound: it only grows)
        self.epoch = -1  # calib.current_epoch() seen (likewise)
        self.checked = float("-inf")  # monotonic time of the last look
        self.promoted = False
        self.down_until = float("-inf")

    def look(self) -> bool:
        """Ask the standby what it has replayed; False (logged) when it is down or
        promoted. Connects first when needed."""
        try:
            if self.registry is None:
                self.registry = self._opener(self.url)
            conn = self.registry.connection
            with self.registry._errors():
                recovering, lsn, epoch = conn.execute(_STATE).fetchone()
        except CalibCertError as exc:
            self.down(exc)
            return False
        self.checked = time.monotonic()
        if not recovering:
            self.promoted = True
            logger.warning("standby %s is not in recovery (promoted): no longer used for reads",
                           _where(self.url))
            return False
        self.replayed = max(self.replayed, parse_lsn(lsn))
        self.epoch = max(self.epoch, epoch)
        return True

    def down(self, exc: BaseException) -> None:
        logger.warning("standby %s failed (%s): reads go elsewhere", _where(self.url),
                       " ".join(str(exc).split()))
        self.close()
        self.down_until = time.monotonic() + ReplicatedRegistry.retry_after

    def close(self) -> None:
        if self.registry is not None:
            try:
                self.registry.close()
            except Exception:  # noqa: BLE001 - a dead connection may fail to close
                pass
            self.registry = None


def _where(url: str) -> str:
    """host:port/db of a URL, never its password (for log lines)."""
    rest = url.split("://", 1)[-1]
    return rest.rsplit("@", 1)[-1].split("?", 1)[0]


class ReplicatedRegistry:
    """A primary's registry plus standbys for its lookups (see the module docstring)."""

    backend = "postgresql"
    #: Seconds before an unreachable standby is tried again.
    retry_after = 5.0

    def __init__(self, primary: Any, read_urls: list[str], opener: Callable[[str], Any], *,
                 read_wait: float = 1.0, max_lag: float = 5.0,
                 check_interval: float = 1.0) -> None:
        if not read_urls:
            raise InvalidArgumentError("read_urls lists no standby")
        for name, value in (("read_wait", read_wait), ("max_lag", max_lag),
                            ("check_interval", check_interval)):
            if not isinstance(value, (int, float)) or not value >= 0:
                raise InvalidArgumentError(f"{name} must be a number of seconds >= 0, "
                                           f"not {value!r}")
        if max_lag <= 0:
            raise InvalidArgumentError("max_lag must be > 0 seconds")
        self.primary = primary
        self.standbys = [_Standby(u, opener) for u in read_urls]
        self.read_wait, self.max_lag, self.check_interval = read_wait, max_lag, check_interval
        self._turn = 0
        self._written = False  # a call since the last read may have written
        self._own_lsn = 0  # WAL position the client's own writes reached
        self._samples: list[tuple[float, int]] = []  # (monotonic time, primary WAL position)

    # -- routing ------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name in READS:
            return lambda *args, **kwargs: self._read(name, args, kwargs)
        attr = getattr(self.primary, name)
        if callable(attr) and name not in PRIMARY_READS:
            # Marked before the call: a call that fails may still have committed (a lost
            # connection), so the next read is held to the primary's position either way.
            self._written = True
        return attr

    def _primary_in_transaction(self) -> bool:
        """A transaction open on the primary's connection (ours or the caller's): its
        reads belong to it. A connection that is gone has none (UNKNOWN): a pinned read can
        then still be served by a standby."""
        from psycopg.pq import TransactionStatus

        status = self.primary.connection.pgconn.transaction_status
        return status in (TransactionStatus.INTRANS, TransactionStatus.INERROR,
                          TransactionStatus.ACTIVE)

    def _read(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._primary_in_transaction():
            return getattr(self.primary, name)(*args, **kwargs)
        epoch = kwargs.get("as_of") if name in PINNED else None
        if epoch is not None and (type(epoch) is not int or epoch < 0):
            epoch = None  # the primary's check raises the error, on a standby alike
        lsn = self._needed_lsn() if epoch is None else 0
        deadline = time.monotonic() + self.read_wait
        # One turn of the round robin per read, however long it waits for a standby to
        # replay: a read that waited must not shift which standby the next reads go to.
        start, self._turn = self._turn, (self._turn + 1) % len(self.standbys)
        while True:
            available = False
            for standby in self._rotation(start):
                available = True
                if not self._fresh(standby, lsn, epoch):
                    continue
                try:
                    return getattr(standby.registry, name)(*args, **kwargs)
                except CalibCertError as exc:
                    if not _standby_failed(exc):
                        raise
                    standby.down(exc)
            if not available or time.monotonic() >= deadline:
                break  # every standby down or promoted: nothing to wait for
            time.sleep(0.005)
        logger.info("%s served by the primary: %s", name,
                    "no standby is available" if not available else
                    f"no standby reached epoch {epoch} within {self.read_wait:.3g} s"
                    if epoch is not None else
                    f"no standby replayed the position needed within {self.read_wait:.3g} s")
        return getattr(self.primary, name)(*args, **kwargs)

    def _rotation(self, start: int) -> Iterator[_Standby]:
        """The usable standbys, from the read's turn on (round robin: one further each
        read, see _read)."""
        n = len(self.standbys)
        now = time.monotonic()
        for i in range(n):
            s = self.standbys[(start + i) % n]
            if not s.promoted and s.down_until <= now:
                yield s

    def _fresh(self, standby: _Standby, lsn: int, epoch: int | None) -> bool:
        def enough() -> bool:
            return standby.epoch >= epoch if epoch is not None else standby.replayed >= lsn

        if (standby.registry is not None and enough()
                and time.monotonic() - standby.checked < self.check_interval):
            return True
        return standby.look() and enough()

    # -- how fresh a read must be ---------------------------------------------------------

    def _primary_lsn(self) -> int:
        with self.primary._errors():
            row = self.primary.connection.execute(
                "SELECT pg_catalog.pg_current_wal_insert_lsn()::text").fetchone()
        return parse_lsn(row[0])

    def _needed_lsn(self) -> int:
        """The WAL position a current (unpinned) read needs: the client's own writes and the
        staleness floor (see the module docstring)."""
        now = time.monotonic()
        if self._written:
            self._written = False
            self._own_lsn = max(self._own_lsn, self._primary_lsn())
            if not self._samples or now - self._samples[-1][0] > self.max_lag:
                self._samples = [(now, self._own_lsn)]
        if not self._samples or now - self._samples[-1][0] > self.max_lag:
            self._samples = [(now, self._primary_lsn())]  # first read, or after idling
        elif now - self._samples[-1][0] >= self.max_lag / 2:
            self._samples.append((now, self._primary_lsn()))
        old = [i for i, (t, _) in enumerate(self._samples) if t <= now - self.max_lag]
        if old:
            del self._samples[:old[-1]]
        return max(self._own_lsn, self._samples[0][1])

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        for s in self.standbys:
            s.close()
        self.primary.close()

    def __enter__(self) -> ReplicatedRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_replicated(primary: Any, read_urls: list[str], *, pooled: bool = False,
                    read_wait: float = 1.0, max_lag: float = 5.0) -> ReplicatedRegistry:
    """``primary`` (an open PostgresRegistry) with standbys at ``read_urls``, connected when
    first used (a standby that is down at start is then only logged, not fatal)."""
    from psycopg.conninfo import make_conninfo

    from .backends.postgres import PostgresRegistry

    def opener(url: str) -> Any:
        # A bounded connect: a standby whose host does not answer must not hold a lookup.
        dsn = make_conninfo(url.replace("postgresql+psycopg://", "postgresql://", 1),
                            connect_timeout=2)
        return PostgresRegistry.from_url(dsn, pooled=pooled)

    try:
        return ReplicatedRegistry(primary, read_urls, opener, read_wait=read_wait,
                                  max_lag=max_lag)
    except BaseException:
        primary.close()
        raise
