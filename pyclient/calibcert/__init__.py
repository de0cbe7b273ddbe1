"""calibcert: certification of calibration products, enforced by the database.

    import calibcert
    calibcert.upgrade(url)           # schema to head (alembic)
    reg = calibcert.connect(url)     # postgresql://... or sqlite:///path; None → default
"""

from __future__ import annotations

from typing import Any

from . import errors
from .errors import CalibCertError
from .registry import Registry
from .types import (
    Certification,
    CollectionInfo,
    CollectionState,
    CollectionStats,
    CollectionType,
    DatasetRef,
    DatasetTypeInfo,
    IntegrityProblem,
    Timespan,
)
from .urls import resolve_url

__all__ = [
    "CalibCertError",
    "Certification",
    "CollectionInfo",
    "CollectionState",
    "CollectionStats",
    "CollectionType",
    "DatasetRef",
    "DatasetTypeInfo",
    "IntegrityProblem",
    "Registry",
    "Timespan",
    "connect",
    "errors",
    "upgrade",
]

__version__ = "0.1.0"


def upgrade(url: str | None = None, revision: str = "head",
            role_prefix: str | None = None) -> None:
    """Bring the database at ``url`` (None: $CALIBCERT_URL, else the embedded default) to
    ``revision`` with the alembic migrations. ``role_prefix`` (PostgreSQL, first install):
    the database's service roles are ``<prefix>_reader``, ``_certifier``, ``_admin``
    (default ``calib``; README "Roles"). Imported lazily: alembic and SQLAlchemy are not
    needed for everyday calls."""
    from .migrate import upgrade as _upgrade

    _upgrade(url, revision, role_prefix)


def connect(url: Any = None, *, read_urls: Any = None, read_wait: float = 1.0,
            max_lag: float = 5.0, **kwargs: Any) -> Registry:
    """Open a calibcert database.

    ``url``: ``"postgresql://..."``, ``"sqlite:///path"``, ``None`` ($CALIBCERT_URL, else
    the embedded default SQLite file), or an open connection of the caller's: a psycopg 3
    connection, or a SQLAlchemy Engine / Connection using psycopg (calls then run in the
    caller's transaction, and ``close()`` leaves the connection open).
    ``reason`` / ``user``: recorded with every change this registry makes (PostgreSQL: the
    settings calib.reason / calib.user for the session; README "History and time travel").
    ``pooled`` (PostgreSQL): the connection goes through a pooler in transaction mode
    (PgBouncer) or is shared: no prepared statements, reason / user set per transaction
    (README "Deploying at scale").
    ``read_urls`` (PostgreSQL URLs; None with ``url`` None: $CALIBCERT_READ_URLS, separated
    by spaces or commas): hot standbys of ``url`` (or of the caller's connection's
    server) that serve the lookups, never older than
    the client's own writes nor than ``max_lag`` seconds; a read waits up to ``read_wait``
    seconds for a standby to catch up, then the primary answers
    (:mod:`calibcert.replicas`).
    Raises SchemaVersionError if the schema is missing or not at head.
    """
    from .urls import resolve_read_urls

    standbys = resolve_read_urls(read_urls, from_env=url is None)
    reg = _open(url, **kwargs)
    if not standbys:
        return reg
    if reg.backend != "postgresql":
        reg.close()
        raise ValueError("read_urls are PostgreSQL hot standbys: not for a SQLite database")
    from .replicas import open_replicated

    return open_replicated(reg, standbys, pooled=bool(kwargs.get("pooled")),
                           read_wait=read_wait, max_lag=max_lag)


def _open(url: Any, **kwargs: Any) -> Registry:
    """connect() without standbys: the registry of one database or connection."""
    from .urls import kind

    if url is None or isinstance(url, str):
        resolved = resolve_url(url)
        if kind(resolved) == "postgresql":
            from .backends.postgres import PostgresRegistry

            return PostgresRegistry.from_url(resolved, **kwargs)
        from .backends.sqlite import SqliteRegistry

        return SqliteRegistry.from_url(resolved, **kwargs)

    import psycopg

    if isinstance(url, psycopg.Connection):
        from .backends.postgres import PostgresRegistry

        return PostgresRegistry(url, owned=False, **kwargs)
    try:
        from sqlalchemy.engine import Connection, Engine
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        Connection = Engine = ()  # type: ignore[assignment,misc]
    if isinstance(url, Engine):
        from .backends.postgres import PostgresRegistry

        raw = url.raw_connection()
        driver = raw.driver_connection
        if not isinstance(driver, psycopg.Connection):
            raw.close()
            raise TypeError("calibcert needs a SQLAlchemy engine using the psycopg (3) driver")
        # Our own pooled connection: autocommit while we hold it (each call is atomic on
        # its own), restored before it goes back to the pool.
        driver.autocommit = True

        def release() -> None:
            driver.autocommit = False
            raw.close()

        try:
            reg = PostgresRegistry(driver, owned=False, **kwargs)
        except BaseException:
            release()
            raise
        reg._on_close = release
        return reg
    if isinstance(url, Connection):
        from .backends.postgres import PostgresRegistry

        driver = url.connection.driver_connection
        if not isinstance(driver, psycopg.Connection):
            raise TypeError("calibcert needs a SQLAlchemy connection using the psycopg (3) driver")
        # Our calls bypass SQLAlchemy's bookkeeping: begin its transaction now (as its
        # autobegin would), so the caller's commit() / rollback() really apply to our work.
        if not url.in_transaction():
            url.begin()
        return PostgresRegistry(driver, owned=False, **kwargs)
    raise TypeError(f"cannot connect to {type(url).__name__}: give a URL or a connection")
