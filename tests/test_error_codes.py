"""Every error the SQL can raise reaches Python as a calibcert exception.

The SQL side is parsed (every ``ERRCODE`` and every ``calib._raise('KC...')`` under
``sql/``), the Python side is ``calibcert.errors``; a code raised in SQL that the client does
not map fails here. The translation itself is checked with real server errors: each mapped
SQLSTATE is raised by PL/pgSQL on a live connection and passed through ``translate``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest

from calibcert import errors
from calibcert.errors import CONSTRAINT_MAP, SQLSTATE_MAP, CalibCertError, translate
from calibcert.types import Timespan

ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = ROOT / "sql"
TABLES_SQL = SQL_DIR / "schema" / "tables.sql"

#: `calib._raise('KC001', ...` possibly with the code on the next line.
_RAISE_CALL = re.compile(r"_raise\s*\(\s*'([^']+)'", re.S)
#: `ERRCODE = 'xxxxx'` in a RAISE ... USING.
_ERRCODE = re.compile(r"ERRCODE\s*=\s*'([^']+)'", re.I)
#: Every RAISE EXCEPTION statement (up to its semicolon).
_RAISE_STMT = re.compile(r"\bRAISE\s+EXCEPTION\b[^;]*;", re.I | re.S)
#: Named constraints and indexes in tables.sql.
_CONSTRAINT_NAME = re.compile(r"\bCONSTRAINT\s+(\w+)", re.I)
_INDEX_NAME = re.compile(r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(\w+)", re.I)


#: Install scripts: what they raise reaches the installing DBA (psql, alembic), never a
#: client call, and is a standard SQLSTATE (42501: the installer or calib_owner lacks or
#: holds a privilege, checked by tests/test_security.py; 22023: calib.role_prefix is not a
#: role-name prefix, 55000: it differs from the installed one, checked by
#: tests/test_roles.py; 42501 in the preamble: schema calib_ext belongs to another role,
#: checked by tests/test_install_hostile.py).
INSTALL_ONLY = {"schema/roles.sql": {"42501", "22023", "55000"},
                "schema/security.sql": {"42501"},
                "schema/preamble.sql": {"42501"}}


def _sql_files() -> list[Path]:
    files = sorted(p for p in SQL_DIR.rglob("*.sql")
                   if p.relative_to(SQL_DIR).as_posix() not in INSTALL_ONLY)
    assert files, f"no SQL files under {SQL_DIR}"
    return files


def test_install_scripts_raise_only_their_declared_codes() -> None:
    for name, codes in INSTALL_ONLY.items():
        assert set(_ERRCODE.findall((SQL_DIR / name).read_text())) == codes, name


def _codes_raised_in_sql() -> dict[str, list[str]]:
    """SQLSTATE → files that raise it (literal codes only)."""
    found: dict[str, list[str]] = {}
    for path in _sql_files():
        text = path.read_text()
        for code in _RAISE_CALL.findall(text) + _ERRCODE.findall(text):
            found.setdefault(code, []).append(str(path.relative_to(ROOT)))
    return found


def test_sql_raises_some_codes() -> None:
    # Guards the parser: if the regexes stopped matching, the mapping test would pass vacuously.
    codes = _codes_raised_in_sql()
    assert {"KC001", "KC002", "KC009", "KC015"} <= set(codes), codes


def test_every_code_raised_in_sql_is_mapped() -> None:
    unmapped = {code: files for code, files in _codes_raised_in_sql().items()
                if code not in SQLSTATE_MAP and code not in RAW_SQL_CODES}
    assert not unmapped, f"SQLSTATEs raised in sql/ but not in errors.SQLSTATE_MAP: {unmapped}"


#: Standard SQLSTATEs a calib function raises itself, each with the meaning PostgreSQL
#: gives it: calib._lock_timeout re-raises the server's own lock timeout with what the
#: call waited for in its DETAIL (README "Locks, waits and retries"), so a caller that
#: handles 55P03 needs nothing new. calib._request raises 40001 (serialization_failure)
#: when a REPEATABLE READ / SERIALIZABLE caller's snapshot cannot see the change that
#: committed its request id meanwhile (README "Retention and request ids"): a retry of
#: the transaction then replays it, as for any serialization failure.
STANDARD_CODES_RERAISED = {"55P03": ["sql/functions/_lock_timeout.sql"],
                           "40001": ["sql/functions/_request.sql"]}

#: Standard SQLSTATEs raised only at raw SQL on the history tables, never through a calib
#: function's own rules, and not mapped, as before: 23503 (foreign_key_violation) from the
#: triggers that replace the foreign keys of calib.certification_version to calib.change
#: (revision 0017), the code those constraints raised (their violations were never mapped
#: either: a raw writer sees PostgreSQL's code); 0A000 (feature_not_supported) from the
#: same triggers when calib.change rows are deleted, re-keyed or truncated under
#: REPEATABLE READ / SERIALIZABLE (raw SQL, or calib.prune_history in such a transaction),
#: which the triggers cannot check against versions committed after the snapshot.
RAW_SQL_CODES = {"23503": ["sql/functions/_change_refs_check.sql",
                           "sql/functions/_version_change_check.sql"],
                 "0A000": ["sql/functions/_change_refs_check.sql"]}


def test_own_codes_use_a_class_of_our_own() -> None:
    # Style rule 9: our codes are class KC (first character I-Z), never P0 / XX.
    for code, files in _codes_raised_in_sql().items():
        if code in STANDARD_CODES_RERAISED or code in RAW_SQL_CODES:
            want = STANDARD_CODES_RERAISED.get(code) or RAW_SQL_CODES[code]
            assert sorted(set(files)) == want, (code, files)
            continue
        assert re.fullmatch(r"KC\d{3}", code), f"{code} is not one of our KCnnn codes"


def test_every_raise_has_an_errcode() -> None:
    # A bare RAISE EXCEPTION would surface as P0001, which nothing maps.
    for path in _sql_files():
        for stmt in _RAISE_STMT.findall(path.read_text()):
            assert re.search(r"ERRCODE", stmt, re.I), f"{path}: RAISE without ERRCODE: {stmt}"


def test_raise_helper_passes_the_code_through() -> None:
    # The only dynamic ERRCODE is calib._raise's parameter; it must be the first argument,
    # which is what _RAISE_CALL parses at every call site.
    text = (SQL_DIR / "functions" / "_raise.sql").read_text()
    assert re.search(r"_raise\s*\(\s*p_code\s+text", text)
    assert re.search(r"ERRCODE\s*=\s*p_code", text)


@pytest.mark.parametrize("code", sorted(SQLSTATE_MAP))
def test_mapped_classes_are_calibcert_errors(code: str) -> None:
    cls = SQLSTATE_MAP[code]
    assert issubclass(cls, CalibCertError)
    assert cls.__module__ == errors.__name__
    assert errors.from_sqlstate(code) is cls


def test_every_own_class_has_a_distinct_code() -> None:
    own = [c for c in SQLSTATE_MAP if c.startswith("KC")]
    assert len({SQLSTATE_MAP[c] for c in own}) == len(own)
    for code in own:
        assert SQLSTATE_MAP[code].sqlstate == code


@pytest.mark.parametrize("name", sorted(CONSTRAINT_MAP))
def test_constraint_map_names_exist_in_tables_sql(name: str) -> None:
    text = TABLES_SQL.read_text()
    names = set(_CONSTRAINT_NAME.findall(text)) | set(_INDEX_NAME.findall(text))
    assert name in names, f"errors.CONSTRAINT_MAP names {name!r}, which tables.sql does not define"
    assert issubclass(CONSTRAINT_MAP[name], CalibCertError)


def test_constraint_map_names_exist_in_the_installed_schema(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        installed = {r[0] for r in conn.execute(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'calib'::regnamespace")}
    missing = set(CONSTRAINT_MAP) - installed
    assert not missing, f"constraints mapped by the client but not installed: {missing}"


def _server_error(conn: psycopg.Connection, code: str, detail: str) -> psycopg.Error:
    """A real driver error with SQLSTATE ``code``, raised by PL/pgSQL on the server."""
    body = (f"BEGIN RAISE EXCEPTION USING ERRCODE = '{code}', MESSAGE = 'boom {code}', "
            f"DETAIL = {psycopg.sql.quote(detail)}; END")
    with pytest.raises(psycopg.Error) as info:
        conn.execute(f"DO $body$ {body} $body$")
    assert info.value.sqlstate == code
    return info.value


@pytest.mark.parametrize("code", sorted(SQLSTATE_MAP))
def test_translate_real_server_errors(pg_admin_url: str, code: str) -> None:
    detail = json.dumps({
        "collection": "calib/x",
        "dataset": "8c8b7f6e-5d4c-4b3a-9a1b-0c2d3e4f5a6b",
        "timespan": ["2020-01-01T00:00:00.000000+00:00", None],
    })
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        exc = _server_error(conn, code, detail)
    err = translate(exc)
    assert type(err) is SQLSTATE_MAP[code]
    assert err.__cause__ is exc
    assert err.message == f"boom {code}"
    if code.startswith("KC"):
        # The DETAIL JSON becomes normalised details, also reachable as attributes.
        assert err.collection == "calib/x"
        assert str(err.dataset) == "8c8b7f6e-5d4c-4b3a-9a1b-0c2d3e4f5a6b"
        assert isinstance(err.timespan, Timespan) and err.timespan.end is None


def test_translate_by_constraint_name(pg_url: str) -> None:
    # A standard integrity error maps by the name of our constraint, not by its SQLSTATE alone.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO calib.collection (name, type) VALUES ('c', 'RUN')")
        with pytest.raises(psycopg.errors.UniqueViolation) as info:
            conn.execute("INSERT INTO calib.collection (name, type) VALUES ('c', 'TAGGED')")
    err = translate(info.value)
    assert type(err) is CONSTRAINT_MAP["collection_name_key"]
    assert err.constraint == "collection_name_key"
    assert err.__cause__ is info.value


def test_translate_leaves_foreign_errors_alone(pg_admin_url: str) -> None:
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT 1/0")
    assert translate(info.value) is info.value
