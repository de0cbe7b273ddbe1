"""Which database a URL (or nothing) means.

``connect(None)`` and the CLI use ``$CALIBCERT_URL`` and otherwise the embedded default: a
SQLite file under the per-user data directory (``$XDG_DATA_HOME/calibcert/calibcert.db``,
by default ``~/.local/share/calibcert/calibcert.db``).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DatabaseAccessError, InvalidArgumentError

ENV_VAR = "CALIBCERT_URL"
#: Hot standbys serving the lookups (README "Deploying at scale"), spaces or commas between.
READ_URLS_VAR = "CALIBCERT_READ_URLS"


def default_sqlite_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "calibcert" / "calibcert.db"


def resolve_url(url: str | None) -> str:
    """The explicit URL, else $CALIBCERT_URL, else the embedded default SQLite file. An
    empty URL is refused (InvalidArgumentError): ``--url "$DB"`` with DB unset must not
    fall back to another database."""
    if url is not None and not url.strip():
        raise InvalidArgumentError(
            "empty URL: give postgresql://... or sqlite:///path, or none at all for"
            " $CALIBCERT_URL, else the embedded default")
    if url:
        return url
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    path = default_sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def resolve_read_urls(read_urls: object, from_env: bool = True) -> list[str]:
    """The standby URLs: the list given (a single string is one URL), else (``from_env``)
    $CALIBCERT_READ_URLS split at spaces and commas; each must be a PostgreSQL URL."""
    if read_urls is None:
        text = os.environ.get(READ_URLS_VAR, "") if from_env else ""
        urls = [u for u in text.replace(",", " ").split() if u]
    elif isinstance(read_urls, str):
        urls = [read_urls]
    else:
        urls = list(read_urls)
    for u in urls:
        if not isinstance(u, str) or _scheme(u) not in _POSTGRESQL_SCHEMES:
            raise ValueError(f"read URL {u!r} is not a postgresql://... URL")
    return urls


_POSTGRESQL_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def _scheme(url: str) -> str:
    """A URL's scheme, lower case (what :func:`kind` and the read URLs' check look at)."""
    return url.split(":", 1)[0].lower()


def kind(url: str) -> str:
    """"postgresql" or "sqlite"; anything else is an unsupported URL (DatabaseAccessError,
    CLI exit 3), as is a SQLite URL that is not ``sqlite:///path`` (:func:`sqlite_path`)."""
    scheme = _scheme(url)
    if scheme in _POSTGRESQL_SCHEMES:
        return "postgresql"
    if scheme in ("sqlite", "sqlite+pysqlite"):
        return "sqlite"
    # Only the scheme is shown: the rest may hold a password.
    shown = f"scheme {scheme!r}" if "://" in url else "(no scheme://)"
    raise DatabaseAccessError(
        f"unsupported database URL {shown}: use postgresql://... or sqlite:///path"
    )


def sqlite_path(url: str) -> str:
    """The file of a sqlite:/// URL (``sqlite:///rel.db``, ``sqlite:////abs.db``)."""
    prefix = url.split("://", 1)[1] if "://" in url else ""
    if not prefix.startswith("/"):
        raise DatabaseAccessError(
            f"unsupported database URL: bad SQLite URL {url!r}: expected sqlite:///path")
    path = prefix[1:]
    if not path:
        raise DatabaseAccessError(
            f"unsupported database URL: SQLite URL {url!r} names no file (in-memory databases"
            " are not supported)"
        )
    return path


def sqlalchemy_url(url: str) -> str:
    """The URL alembic / SQLAlchemy should use (psycopg 3 driver for PostgreSQL)."""
    if kind(url) == "postgresql":
        rest = url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}"
    return "sqlite:///" + sqlite_path(url)
