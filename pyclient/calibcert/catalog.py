"""A structural snapshot of calibcert's objects in a PostgreSQL database.

Used to prove that installs are identical (tests/test_migrations.py: psql, Python and
alembic installs; a migrated database and a fresh one) and to show what a revision changes
(``python migrations/freeze.py --show``): tables, columns, constraints, indexes, functions
with their full definitions, configuration, owners and ACLs, triggers, the schema's owner
and ACL, extensions and the recorded revision.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

CATALOG_QUERIES: dict[str, str] = {
    "relations": """
        SELECT c.relname, c.relkind, c.relacl::text AS acl, pg_get_userbyid(c.relowner) AS owner,
               obj_description(c.oid, 'pg_class') AS comment
        FROM pg_class AS c WHERE c.relnamespace = 'calib'::regnamespace ORDER BY 1""",
    "columns": """
        SELECT c.relname || '.' || a.attname AS column_name, a.attnum,
               format_type(a.atttypid, a.atttypmod) AS type,
               a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid) AS default,
               col_description(c.oid, a.attnum) AS comment
        FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'calib'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY 1, 2""",
    "constraints": """
        SELECT conname, conrelid::regclass::text AS relation, contype,
               pg_get_constraintdef(oid) AS definition
        FROM pg_constraint WHERE connamespace = 'calib'::regnamespace ORDER BY 2, 1""",
    "indexes": """
        SELECT indexrelid::regclass::text AS index, pg_get_indexdef(indexrelid) AS definition
        FROM pg_index JOIN pg_class AS c ON c.oid = indexrelid
        WHERE c.relnamespace = 'calib'::regnamespace ORDER BY 1""",
    "functions": """
        SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS definition,
               p.provolatile, p.prosecdef, p.proconfig, p.proacl::text AS acl,
               obj_description(p.oid, 'pg_proc') AS comment, pg_get_userbyid(p.proowner) AS owner
        FROM pg_proc AS p WHERE p.pronamespace = 'calib'::regnamespace ORDER BY 1""",
    "triggers": """
        SELECT tgname || ' ON ' || tgrelid::regclass::text AS trigger,
               pg_get_triggerdef(oid) AS definition, tgenabled
        FROM pg_trigger WHERE NOT tgisinternal
          AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'calib'::regnamespace)
        ORDER BY 1""",
    "schema": """
        SELECT nspname, nspacl::text AS acl, obj_description(oid, 'pg_namespace') AS comment,
               pg_get_userbyid(nspowner) AS owner
        FROM pg_namespace WHERE nspname = 'calib'""",
    "extensions": (
        "SELECT extname, extnamespace::regnamespace::text AS schema FROM pg_extension ORDER BY 1"),
    "version": "SELECT version_num FROM calib.alembic_version",
}


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Section -> rows (as dicts keyed by column name, the object's name first)."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in CATALOG_QUERIES.items()}


def changes(before: dict[str, list[dict[str, Any]]],
            after: dict[str, list[dict[str, Any]]]) -> list[str]:
    """What differs between two snapshots, one line per object: ``+`` added, ``-`` removed,
    ``~`` changed, with the columns that changed (an object is named by the first column
    of its row, made unique with the second where the first repeats)."""
    def keyed(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for row in rows:
            values = list(row.values())
            key = str(values[0])
            out[key if key not in out else f"{key} {values[1]}"] = row
        return out

    lines: list[str] = []
    for section in CATALOG_QUERIES:
        old, new = keyed(before.get(section, [])), keyed(after.get(section, []))
        for key in sorted(set(old) | set(new)):
            if key not in old:
                lines.append(f"+ {section}: {key}")
            elif key not in new:
                lines.append(f"- {section}: {key}")
            elif old[key] != new[key]:
                cols = [c for c in old[key] if old[key][c] != new[key].get(c)]
                lines.append(f"~ {section}: {key} ({', '.join(cols)})")
    return lines
