"""Where the SQL and the migrations live, and the schema revision this client expects.

In an installed wheel ``sql/`` and ``migrations/`` are package data (``calibcert/sql``);
in a source checkout they sit at the repository root. :func:`install_sql` expands the
``\\ir`` lines of ``sql/install.sql`` exactly as psql does, so psql, the CLI and the tests
install the identical script.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

#: The alembic revision this client's code expects (``calib.alembic_version``).
HEAD_REVISION = "0019"

_IR = re.compile(r"^\\ir\s+(\S+)\s*$")


def _resource_dir(name: str) -> Path:
    packaged = resources.files("calibcert") / name
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[2] / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"calibcert: cannot find the {name}/ directory")


def sql_dir() -> Path:
    return _resource_dir("sql")


def migrations_dir() -> Path:
    return _resource_dir("migrations")


def _expand(path: Path, skip: frozenset[str]) -> str:
    out: list[str] = []
    for line in path.read_text().splitlines():
        m = _IR.match(line)
        if m:
            rel = m.group(1)
            if rel not in skip:
                out.append(_expand((path.parent / rel).resolve(), skip))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def expand_script(path: Path) -> str:
    """A psql script with its ``\\ir`` lines expanded (paths relative to each file)."""
    return _expand(path.resolve(), frozenset())


def preamble_sql() -> str:
    """``sql/schema/preamble.sql``: what every install and upgrade runs first, before any
    revision (migrations/env.py, online and offline; sql/install.sql's first line): the
    session's ``search_path`` pinned to ``pg_catalog, pg_temp`` and btree_gist in schema
    calib_ext when the database has none yet."""
    return expand_script(sql_dir() / "schema" / "preamble.sql")


def install_sql(include_version: bool = True, backend: str = "postgresql") -> str:
    """The whole head schema of ``backend`` as one script (``\\ir`` expanded, comments kept):
    ``sql/install.sql`` for PostgreSQL, ``sql/sqlite/install.sql`` for SQLite.

    ``include_version=False`` leaves out ``schema/version.sql``: that is what migrations
    freeze, since alembic records the revision itself.
    """
    skip = frozenset() if include_version else frozenset({"schema/version.sql"})
    root = sql_dir() if backend == "postgresql" else sql_dir() / "sqlite"
    return _expand(root / "install.sql", skip)
