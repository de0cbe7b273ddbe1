"""Schema migrations: alembic, driven from Python (``calibcert.upgrade``) and the CLI.

:func:`preview_upgrade` is ``calibcert db upgrade --dry-run``: the real migrations run
inside one database transaction that is rolled back, with the schema read before and after
in that same transaction, so the preview is what the upgrade would do at that moment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, pool

from .schema import HEAD_REVISION, migrations_dir
from .urls import kind, resolve_url, sqlalchemy_url, sqlite_path


def alembic_config(url: str | None, role_prefix: str | None = None) -> Config:
    """alembic's configuration for ``url``. ``role_prefix`` (PostgreSQL): the prefix of the
    database's service roles, for its first install (README "Roles"); migrations/env.py
    sets it as ``calib.role_prefix``, which sql/schema/roles.sql reads and checks."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(resolve_url(url)).replace("%", "%%"))
    if role_prefix is not None:
        cfg.attributes["role_prefix"] = role_prefix
    return cfg


def version_table_schema(url: str) -> str | None:
    """alembic's version table lives in schema calib on PostgreSQL (no schemas in SQLite)."""
    return "calib" if kind(url) == "postgresql" else None


def upgrade(url: str | None = None, revision: str = "head",
            role_prefix: str | None = None) -> None:
    """Bring the database at ``url`` to ``revision`` (default: head); ``role_prefix``: see
    :func:`alembic_config`."""
    command.upgrade(alembic_config(url, role_prefix), revision)


def upgrade_sql(url: str | None, from_revision: str | None, to_revision: str = "head",
                role_prefix: str | None = None) -> str:
    """The SQL that upgrades a PostgreSQL database from ``from_revision`` (None: an empty
    database) to ``to_revision``, for ``psql -X -v ON_ERROR_STOP=1 -1 -f`` (alembic's offline
    mode, ``calibcert db upgrade --sql``): a header naming both revisions, a guard that
    stops the script unless the database is at ``from_revision``, then each step's frozen
    file and alembic's own version-table statements. No BEGIN / COMMIT: ``psql -1`` makes it
    one transaction. ``url`` only has to be a PostgreSQL URL (nothing is connected)."""
    import io

    url = resolve_url(url)
    if kind(url) != "postgresql":
        raise ValueError("--sql (an upgrade script for psql) is for PostgreSQL only; a SQLite "
                         "database is upgraded with `calibcert db upgrade`")
    script = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db"))
    start = None if from_revision in (None, "base") else from_revision
    target = script.get_revision(to_revision)
    if target is None:
        raise ValueError(f"unknown revision {to_revision!r}")
    if start is not None:
        if script.get_revision(start) is None:
            raise ValueError(f"unknown revision {start!r}")
        if start != target.revision and start not in {
                r.revision for r in script.iterate_revisions(target.revision, "base")}:
            raise ValueError(f"revision {start} is not before {target.revision}")
    steps = [r.revision for r in script.iterate_revisions(target.revision, start or "base")
             if r.revision != start][::-1]
    buf = io.StringIO()
    cfg = alembic_config(url, role_prefix)
    cfg.output_buffer = buf
    command.upgrade(cfg, f"{start}:{target.revision}" if start else target.revision, sql=True)
    origin = f"revision {start}" if start else "an empty database"
    header = (
        f"-- calibcert upgrade script: from {origin} to revision {target.revision}\n"
        f"-- Steps: {', '.join(steps) if steps else 'none (already there)'}\n"
        "-- Written by `calibcert db upgrade --sql`. Apply as one transaction, stopping at the"
        " first error:\n"
        "--     psql -X -v ON_ERROR_STOP=1 -1 -f THIS_FILE DATABASE_URL\n"
        "-- Run it as the role that owns calibcert's schema (or a superuser), as"
        " `calibcert db upgrade` would.\n\n")
    return header + buf.getvalue()


def downgrade(url: str | None, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str | None = None) -> str | None:
    """The revision the database is at, or None for a database without calibcert."""
    url = resolve_url(url)
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            schema = version_table_schema(url)
            if not inspect(conn).has_table("alembic_version", schema=schema):
                return None
            ctx = MigrationContext.configure(conn, opts={"version_table_schema": schema})
            return ctx.get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision shipped with this package (equals schema.HEAD_REVISION)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db"))
    rev = script.get_current_head()
    assert rev == HEAD_REVISION, (rev, HEAD_REVISION)
    return rev


# -- dry run ------------------------------------------------------------------------------

#: Singular names of the sections of a structural snapshot (catalog.CATALOG_QUERIES on
#: PostgreSQL, sqlite_master's types on SQLite).
_KINDS = {"relations": "relation", "columns": "column", "constraints": "constraint",
          "indexes": "index", "functions": "function", "triggers": "trigger",
          "schema": "schema", "extensions": "extension"}


@dataclass
class UpgradePreview:
    """What an upgrade would do: the revision before and after, the revisions it would
    apply (oldest first), and the schema objects it would add, remove or change."""

    before: str | None
    after: str | None
    revisions: list[dict[str, str]] = field(default_factory=list)
    changes: list[dict[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after or bool(self.changes)


def preview_upgrade(url: str | None = None, revision: str = "head",
                    role_prefix: str | None = None) -> UpgradePreview:
    """Run the upgrade to ``revision`` for real inside one transaction, read the schema
    before and after in that transaction, and roll it back: nothing is changed.

    The transaction is the database's own: alembic (and ``migrations/env.py``) commit
    through SQLAlchemy, and this engine's commits are no-ops, so every statement of every
    revision, the version-table update included, stays in the one transaction the final
    ROLLBACK undoes. PostgreSQL's DDL is transactional; on SQLite the transaction is
    ``BEGIN IMMEDIATE`` on a connection without the driver's implicit transaction
    handling, the revisions' statements (CREATE / DROP TABLE, INDEX, TRIGGER) are
    transactional, and ``PRAGMA journal_mode`` inside a transaction is a no-op. A SQLite
    file that does not exist is previewed in memory (it is not created).
    """
    url = resolve_url(url)
    is_pg = kind(url) == "postgresql"
    if is_pg or os.path.exists(sqlite_path(url)):
        engine_url = sqlalchemy_url(url)
    else:
        engine_url = "sqlite://"  # an absent file: what the upgrade would build from nothing
    engine = create_engine(engine_url, poolclass=pool.NullPool)
    # Commits through this engine (env.py's and alembic's) do nothing: the work stays in
    # the driver's transaction, rolled back below.
    engine.dialect.do_commit = lambda dbapi_connection: None  # type: ignore[method-assign]
    if not is_pg:
        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            try:
                if not is_pg:
                    raw.execute("BEGIN IMMEDIATE")
                before = _structure(raw, is_pg)
                cfg = alembic_config(url, role_prefix)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                after = _structure(raw, is_pg)
            finally:
                raw.rollback()
    finally:
        engine.dispose()
    old, new = _version(before), _version(after)
    return UpgradePreview(old, new, _applied(old, new), _diff(before, after))


def _structure(raw: Any, is_pg: bool) -> dict[str, list[dict[str, Any]]]:
    """The schema as sections of rows (name first), read on the driver connection."""
    if is_pg:
        from .catalog import CATALOG_QUERIES

        with raw.cursor() as cur:
            cur.execute("SELECT to_regnamespace('calib') IS NOT NULL, "
                        "to_regclass('calib.alembic_version') IS NOT NULL")
            has_schema, has_version = cur.fetchone()
            out: dict[str, list[dict[str, Any]]] = {}
            for section, sql in CATALOG_QUERIES.items():
                if not has_schema and section != "extensions" or (
                        section == "version" and not has_version):
                    out[section] = []
                    continue
                cur.execute(sql)
                names = [d.name for d in cur.description]
                out[section] = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            return out
    rows = raw.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                       "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    out = {}
    for type_, name, table, sql in rows:
        out.setdefault(type_ + "s", []).append({"name": name, "table": table, "sql": sql})
    has_version = any(r[1] == "alembic_version" for r in rows)
    out["version"] = [{"version_num": v} for (v,) in raw.execute(
        "SELECT version_num FROM alembic_version").fetchall()] if has_version else []
    return out


def _version(snap: dict[str, list[dict[str, Any]]]) -> str | None:
    rows = snap.get("version") or []
    return str(rows[0]["version_num"]) if rows else None


def _applied(old: str | None, new: str | None) -> list[dict[str, str]]:
    """The revisions from ``old`` (exclusive) up to ``new``, oldest first, with their
    one-line descriptions."""
    if new is None or new == old:
        return []
    script = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db"))
    out: list[dict[str, str]] = []
    rev = script.get_revision(new)
    while rev is not None and rev.revision != old:
        out.append({"revision": rev.revision, "doc": " ".join((rev.doc or "").split())})
        down = rev.down_revision
        rev = script.get_revision(down) if isinstance(down, str) else None
    return out[::-1]


def _diff(before: dict[str, list[dict[str, Any]]],
          after: dict[str, list[dict[str, Any]]]) -> list[dict[str, str]]:
    """Objects added, removed or changed (with the columns that changed), by section; an
    object is named by the first column of its row (with the second where it repeats), as
    in :func:`calibcert.catalog.changes`. The version table's row is left out: the
    revisions say it."""

    def keyed(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for row in rows:
            values = list(row.values())
            key = str(values[0])
            out[key if key not in out else f"{key} {values[1]}"] = row
        return out

    changes: list[dict[str, str]] = []
    for section in sorted(set(before) | set(after)):
        if section == "version":
            continue
        kind_ = _KINDS.get(section, section.rstrip("s"))
        old, new = keyed(before.get(section, [])), keyed(after.get(section, []))
        for key in sorted(set(old) | set(new)):
            if key not in old:
                changes.append({"action": "added", "kind": kind_, "name": key, "detail": ""})
            elif key not in new:
                changes.append({"action": "removed", "kind": kind_, "name": key, "detail": ""})
            elif old[key] != new[key]:
                cols = [c for c in old[key] if old[key][c] != new[key].get(c)]
                changes.append({"action": "changed", "kind": kind_, "name": key,
                                "detail": ", ".join(cols)})
    return changes
