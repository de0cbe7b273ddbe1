"""Developer tool: write the frozen SQL of the *unreleased* head revision from sql/.

    python migrations/freeze.py

Only for a revision that has never been released: once a revision has landed on main, its
frozen files are never edited again; schema changes then get a new revision (0002, ...).
tests/test_migrations.py proves that the migrated schema equals sql/install.sql.
"""

from __future__ import annotations

from pathlib import Path

from calibcert.schema import HEAD_REVISION, install_sql

HEADER = (
    "-- FROZEN copy of sql/install.sql at revision {rev} (without schema/version.sql).\n"
    "-- Written by migrations/freeze.py; never edit by hand.\n"
)

#: Revisions that have landed on main: their frozen files are history and never rewritten.
RELEASED = frozenset({"0001"})

if __name__ == "__main__":
    if HEAD_REVISION in RELEASED:
        raise SystemExit(
            f"revision {HEAD_REVISION} is released: add a new revision (0002, ...) with its own "
            "frozen SQL instead of rewriting this one"
        )
    out = Path(__file__).resolve().parent / "versions" / f"{HEAD_REVISION}_initial.postgresql.sql"
    out.write_text(HEADER.format(rev=HEAD_REVISION) + install_sql(include_version=False))
    print(f"wrote {out}")
