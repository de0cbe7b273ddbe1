"""Schema migrations: alembic, driven from Python (``calibcert.upgrade``) and the CLI."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from .schema import HEAD_REVISION, migrations_dir
from .urls import kind, resolve_url, sqlalchemy_url


def alembic_config(url: str | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(resolve_url(url)).replace("%", "%%"))
    return cfg


def version_table_schema(url: str) -> str | None:
    """alembic's version table lives in schema calib on PostgreSQL (no schemas in SQLite)."""
    return "calib" if kind(url) == "postgresql" else None


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (default: head)."""
    command.upgrade(alembic_config(url), revision)


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
