"""Every public function carries a COMMENT generated from its header (issue 15, item 4):
sql/schema/comments.sql is what migrations/comments.py writes now, every public function
overload of an installed database has a comment saying its purpose, arguments, locks and
errors, and a header that breaks the convention is refused by the generator."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _comments():
    spec = importlib.util.spec_from_file_location("_calibcert_comments",
                                                  ROOT / "migrations" / "comments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_comments_sql_is_what_the_generator_writes() -> None:
    assert (ROOT / "sql" / "schema" / "comments.sql").read_text() == _comments().render(), (
        "sql/schema/comments.sql is stale: run python migrations/comments.py")


def test_every_public_function_in_a_database_has_its_comment(pg_shared_url: str) -> None:
    with psycopg.connect(pg_shared_url) as conn:
        conn.execute("SET search_path = pg_catalog")
        rows = conn.execute(
            "SELECT p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc')"
            " FROM pg_proc AS p WHERE p.pronamespace = 'calib'::regnamespace"
            " AND p.proname NOT LIKE '\\_%'").fetchall()
        # What \df+ shows: the description column of the one certify overload.
        shown = conn.execute(
            "SELECT obj_description('calib.certify(text, uuid[], tstzrange, boolean)'"
            "::regprocedure, 'pg_proc')").fetchone()[0]
    assert len(rows) >= 50
    missing = [sig for sig, comment in rows if not comment]
    assert missing == []
    for sig, comment in rows:
        lines = comment.splitlines()
        assert [line.split(":")[0] for line in lines[1:]] in (
            ["Arguments", "Locks", "Errors"], ["Arguments", "Returns", "Locks", "Errors"]), sig
        assert lines[0] and not lines[0].startswith(("Arguments", "Locks", "Errors")), sig
    assert shown.startswith("Certify each dataset of p_datasets")
    assert "Locks: the collection row, FOR NO KEY UPDATE" in shown
    assert "KC001 conflict" in shown and "55P03 lock timeout" in shown
    assert "Arguments: p_collection text, p_datasets uuid[], p_timespan tstzrange," in shown


def test_an_overload_takes_locks_and_errors_from_its_typed_form() -> None:
    found = {(name, identity): sec for _f, name, identity, sec in _comments().functions()}
    typed = found[("certify", "text, uuid[], tstzrange, boolean")]
    text = found[("certify", "text, text, text, text")]
    assert text["Locks"] == typed["Locks"] and text["Errors"] == typed["Errors"]
    assert text["Purpose"].startswith("certify with every argument as text")
    # Notes after the first blank line stay out of the comment.
    find = found[("find", "text, text, jsonb, timestamptz")]
    assert "PL/pgSQL rather than SQL" not in " ".join(find.values())


def test_a_header_without_locks_or_errors_is_refused(tmp_path, monkeypatch) -> None:
    comments = _comments()
    (tmp_path / "frob.sql").write_text(
        "CREATE OR REPLACE FUNCTION calib.frob(p_x integer)\nRETURNS integer\n"
        "LANGUAGE sql\nAS $$\n/* Frobs p_x.\n   Errors: none. */\nSELECT p_x\n$$;\n")
    monkeypatch.setattr(comments, "FUNCTIONS", tmp_path)
    with pytest.raises(ValueError, match="frob.*no Locks: line"):
        comments.functions()
    (tmp_path / "frob.sql").write_text(
        "CREATE OR REPLACE FUNCTION calib.frob(p_x integer DEFAULT 1, p_y text[] DEFAULT NULL)"
        "\nRETURNS integer\nLANGUAGE sql\nAS $$\n/* Frobs p_x.\n   Locks: none.\n"
        "   Errors: none.\n\n   A note. */\nSELECT p_x\n$$;\n")
    ((_f, name, identity, sec),) = comments.functions()
    assert (name, identity) == ("frob", "integer, text[]")
    assert comments.comment_text(sec) == (
        "Frobs p_x.\nArguments: p_x integer DEFAULT 1, p_y text[] DEFAULT NULL\n"
        "Locks: none.\nErrors: none.")


def test_psql_df_plus_shows_the_comment(pg_shared_url: str) -> None:
    from test_migrations import client

    out = subprocess.run([client("psql"), "-X", "-x", "-d", pg_shared_url, "-c",
                          r"\df+ calib.certify"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    # Expanded display: one "Description | ..." line per overload, its comment's first line.
    described = [line.split("|", 1)[1].strip() for line in out.splitlines()
                 if line.startswith("Description")]
    assert len(described) == 3, out
    assert all(d.startswith(("Certify each dataset", "certify with")) for d in described), out
    assert "Locks: the collection row, FOR NO KEY UPDATE" in out
