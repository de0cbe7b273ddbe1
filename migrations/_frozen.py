"""Helpers for revisions: run a frozen SQL file that sits next to the revision.

A revision never reads ``sql/`` at run time: what it installs is frozen in
``versions/<revision>_<name>.<dialect>.sql`` when the revision is written.
"""

from __future__ import annotations

from pathlib import Path

from alembic import context, op

HERE = Path(__file__).resolve().parent / "versions"


def run_revision(stem: str, down: bool = False) -> None:
    """Run revision ``stem``'s frozen file for the connected dialect (upgrade, or downgrade
    with ``down``), if the revision has one: a revision that does not change a backend's
    schema has no file for it and only moves its version number there."""
    name = f"{stem}.{op.get_bind().dialect.name}{'.down' if down else ''}.sql"
    if (HERE / name).exists():
        run_file(name)


def run_file(name: str) -> None:
    sql = (HERE / name).read_text()
    if context.is_offline_mode():
        # alembic upgrade --sql: print the frozen file as it is (it is run as one script
        # online too), under a line naming it.
        context.get_context().impl.static_output(
            f"-- {name}\n{sql.rstrip()}\n")
        return
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The driver's own connection runs the script as one simple query: no bind-parameter
        # parsing of the ':' and '%' that PL/pgSQL bodies are full of.
        with bind.connection.driver_connection.cursor() as cur:
            cur.execute(sql.encode())
    else:
        raw = bind.connection.driver_connection
        for statement in _sqlite_statements(sql):
            raw.execute(statement)


def _sqlite_statements(script: str) -> list[str]:
    """Split a SQLite script into statements (sqlite3.complete_statement knows triggers)."""
    import sqlite3

    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        raise ValueError(f"incomplete SQLite statement at end of script: {buf[:80]!r}")
    return out
