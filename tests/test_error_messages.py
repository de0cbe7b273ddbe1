"""Error messages are rendered in one place, from (kind, details), for both backends.

The SQL side is parsed (every ``calib._raise(...)`` call under ``sql/``, as
tests/test_error_codes.py parses the codes): each call names its kind in its DETAIL and
carries every fact the kind's template prints. The SQLite backend is parsed too (every
``_err(kind, ...)`` call). Then the renderer itself: its formats, and real server errors
rendered from their DETAIL while psql keeps the server's own text.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import psycopg
import pytest

import calibcert
from calibcert import errors, messages
from calibcert.errors import translate
from test_error_codes import RAW_SQL_CODES

ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = ROOT / "sql"
SQLITE_DIR = ROOT / "pyclient" / "calibcert" / "backends" / "sqlite"
PACKAGE_DIR = ROOT / "pyclient" / "calibcert"

_RAISE_START = re.compile(r"calib\._raise\s*\(")
#: `'kind', 'name'` or `'kind', CASE WHEN ... THEN 'a' ELSE 'b' END`.
_KIND = re.compile(r"'kind',\s*(?:'(\w+)'|(CASE\b.*?\bEND))", re.S)
_CASE_RESULT = re.compile(r"\b(?:THEN|ELSE)\s+'(\w+)'")
#: A JSON key given to jsonb_build_object: a literal followed by a comma.
_KEY = re.compile(r"'(\w+)'\s*,")

#: Fields a template may name that are derived from others (messages._DERIVED).
DERIVED_FROM = {
    "first": {"conflicts"},
    "more": {"conflicts"},
    "short_name": {"name"},
    "missing_part": {"missing"},
    "unexpected_part": {"unexpected"},
    "range": {"bounds", "begin", "end"},
    "element_part": {"position"},
    # A revert conflict's row: its dataset facts or its position facts when it has them.
    "row": {"collection"},
}


def _facts_needed(kind: str) -> set[str]:
    needed: set[str] = set()
    for field in messages.template_fields(kind):
        needed |= DERIVED_FROM.get(field, {field})
    return needed


def _raise_calls() -> list[tuple[str, str, str]]:
    """(file, SQLSTATE, text of the call) for every calib._raise call in sql/."""
    calls = []
    for path in sorted(SQL_DIR.rglob("*.sql")):
        text = path.read_text()
        for m in _RAISE_START.finditer(text):
            depth, i = 1, m.end()
            while depth:  # to the parenthesis that closes the call
                c = text[i]
                if c == "'":
                    i = text.index("'", i + 1)
                depth += (c == "(") - (c == ")")
                i += 1
            call = text[m.end():i - 1]
            code = re.match(r"\s*'([^']*)'", call)
            if code is None:  # the helper's own definition: calib._raise(p_code text, ...)
                continue
            calls.append((str(path.relative_to(ROOT)), code.group(1), call))
    return calls


def _kinds_of(call: str) -> list[str]:
    kinds = []
    for literal, case in _KIND.findall(call):
        kinds += [literal] if literal else _CASE_RESULT.findall(case)
    return kinds


def _sqlite_calls() -> list[tuple[str, ast.Call]]:
    """(file:line, call) for every call of ``_err`` / ``error`` in the SQLite backend, and
    in calibcert.types (the value rules the client checks for both backends),
    calibcert.lookup_view (the plot's refusal of RUN and TAGGED collections) and
    calibcert.history (history's refusal on SQLite)."""
    out = []
    client = SQLITE_DIR.parents[1]
    for path in [*sorted(SQLITE_DIR.glob("*.py")), client / "types.py",
                 client / "lookup_view.py", client / "history.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_err", "error")):
                out.append((f"{path.name}:{node.lineno}", node))
    return out


def test_the_parsers_find_the_calls() -> None:
    calls = _raise_calls()
    assert len(calls) >= 40, len(calls)
    assert {code for _, code, _ in calls} >= {"KC001", "KC002", "KC008", "KC015"}
    assert len(_sqlite_calls()) >= 25


def test_every_raise_in_sql_names_its_kind() -> None:
    missing = [(f, call.strip()[:80]) for f, _, call in _raise_calls() if not _kinds_of(call)]
    assert not missing, f"calib._raise calls without a 'kind' in their DETAIL: {missing}"


def test_every_kind_raised_in_sql_has_a_template_with_its_code_and_facts() -> None:
    for path, code, call in _raise_calls():
        keys = set(_KEY.findall(call))
        for kind in _kinds_of(call):
            assert kind in messages.KINDS, f"{path}: kind {kind!r} has no template"
            assert messages.sqlstate(kind) == code, (
                f"{path}: {kind!r} is raised as {code}, its template says "
                f"{messages.sqlstate(kind)}")
            lacking = _facts_needed(kind) - keys
            assert not lacking, f"{path}: {kind!r} prints {lacking}, which its DETAIL lacks"


def test_every_kind_raised_by_the_sqlite_backend_has_a_template_and_its_facts() -> None:
    for where, call in _sqlite_calls():
        assert call.args and isinstance(call.args[0], ast.Constant), (
            f"{where}: the kind must be a literal, so that this test sees it")
        kind = call.args[0].value
        assert kind in messages.KINDS, f"{where}: kind {kind!r} has no template"
        given = {k.arg for k in call.keywords}
        assert None not in given, f"{where}: name the details one by one"
        lacking = _facts_needed(kind) - given
        assert not lacking, f"{where}: {kind!r} prints {lacking}, which the call does not give"


def test_every_template_is_raised_somewhere() -> None:
    raised = {k for _, _, call in _raise_calls() for k in _kinds_of(call)}
    raised |= {call.args[0].value for _, call in _sqlite_calls()}
    assert set(messages.KINDS) == raised


def test_every_template_names_a_mapped_sqlstate() -> None:
    # 23503 of the history's reference triggers: raw SQL only, unmapped as the foreign
    # keys they replace (tests/test_error_codes.py RAW_SQL_CODES).
    for kind, (code, _) in messages.KINDS.items():
        assert code in errors.SQLSTATE_MAP or code in RAW_SQL_CODES, kind


def test_the_sqlite_backend_no_longer_writes_message_text() -> None:
    # Neither PostgreSQL's notations (%L quoting, jsonb / array texts) nor any message: the
    # backend names a kind and its details; calibcert.messages writes the text.
    for path in SQLITE_DIR.glob("*.py"):
        text = path.read_text()
        for name in ("_ql", "_jsonb_text", "_pg_array_text", "_span_text", "_literal",
                     "_jsonb_as_pg_prints", "_span_as_read", "row="):
            assert name not in text, f"{path.name} still uses {name}"


def test_messages_and_errors_import_no_other_calibcert_module() -> None:
    # messages is a leaf; errors imports only it (calibcert.types registers Timespan into
    # errors, so errors never imports types back).
    for module, allowed in (("messages.py", set()), ("errors.py", {"messages"})):
        tree = ast.parse((PACKAGE_DIR / module).read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                imported |= ({node.module} if node.module else {a.name for a in node.names})
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("calibcert"):
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names if a.name.startswith("calibcert")}
        assert imported <= allowed, (module, imported)


# -- the formats -------------------------------------------------------------------------------

CONFLICT = {
    "dataset_type": "bias", "data_id": {"instrument": "Cam", "detector": 1},
    "dataset": "8c8b7f6e-5d4c-4b3a-9a1b-0c2d3e4f5a6b",
    "timespan": ["2024-02-01T00:00:00.000000+00:00", None],
    "conflicting_dataset": "19078992-10a5-48a7-90b6-0fbea505bd2e",
    "conflicting_timespan": ["2024-01-01T00:00:00+00:00", "2024-06-01T00:00:00+02:00"],
}


@pytest.mark.parametrize(("kind", "details", "expected"), [
    ("collection_missing", {"collection": "DemoCam/nope"},
     "collection 'DemoCam/nope' does not exist"),
    ("collection_missing", {"collection": "it's"}, "collection \"it's\" does not exist"),
    ("certification_conflict", {"collection": "Cam/calib", "conflicts": [CONFLICT] * 3},
     "certification into 'Cam/calib' conflicts: bias data ID {\"detector\": 1, \"instrument\":"
     " \"Cam\"}, dataset 8c8b7f6e-5d4c-4b3a-9a1b-0c2d3e4f5a6b over"
     " [2024-02-01T00:00:00.000000+00:00, +inf) overlaps dataset"
     " 19078992-10a5-48a7-90b6-0fbea505bd2e over [2024-01-01T00:00:00.000000+00:00,"
     " 2024-05-31T22:00:00.000000+00:00) (and 2 more)"),
    ("series_duplicate_begin", {"collection": "c", "conflicts": [
        {**CONFLICT, "timespan": [None, None]}]},
     "certify_series into 'c': bias data ID {\"detector\": 1, \"instrument\": \"Cam\"} has two"
     " items beginning at -infinity"),
    ("data_id_dimensions", {"dataset_type": "bias", "data_id": {"detector": 1, "x": "y"},
                            "dimensions": ["instrument", "detector"], "missing": ["instrument"],
                            "unexpected": ["x"]},
     "data ID {\"detector\": 1, \"x\": \"y\"} does not match the dimensions (instrument,"
     " detector) of dataset type 'bias'; missing instrument; unexpected x"),
    ("dataset_type_exists_as", {"dataset_type": "bias", "dimensions": ["instrument", "detector"],
                                "is_calibration": True},
     "dataset type 'bias' already exists with dimensions (instrument, detector),"
     " is_calibration=True"),
    ("name_length", {"what": "collection name", "name": "n" * 300, "length": 300},
     f"collection name {'n' * 40!r} must be 1 to 255 characters long (got 300)"),
    ("timespan_bounds", {"timespan": ["2020-01-01T00:00:00.000000+00:00", None], "bounds": "(]",
                         "begin": "2020-01-01T00:00:00.000000+00:00", "end": "infinity"},
     "timespan (2020-01-01T00:00:00.000000+00:00, infinity] must have [) bounds (begin"
     " included, end excluded)"),
    ("lookup_ambiguous_at", {"collection": "a", "searched": "chain", "dataset_type": "bias",
                             "data_id": {"d": "é"}, "datasets": [],
                             "at": "2020-01-01T00:00:00.000000+00:00"},
     "lookup of 'bias' data ID {\"d\": \"é\"} in 'chain' is ambiguous: collection 'a' has more"
     " than one certification valid at 2020-01-01T00:00:00.000000+00:00"),
    ("series_begins_count", {"collection": "c", "n_datasets": None, "n_begins": 2},
     "certify_series into 'c' needs one begin per dataset (NULL datasets, 2 begins)"),
    # A revert conflict's row, rendered from its facts: a data ID as jsonb prints it (keys
    # shorter first, whatever the dict's order), the validity as given; a chain position;
    # a collection.
    ("revert_row_changed", {"epoch": 4, "later_epoch": 6, "what": "certification",
                            "collection": "X", "dataset_type": "bias",
                            "data_id": {"abc": 1, "zz": {"yyy": 2, "b": "é"}},
                            "dataset": "8c8b7f6e-5d4c-4b3a-9a1b-0c2d3e4f5a6b",
                            "validity": ["2021-01-01T00:00:00.000000+00:00", None]},
     "cannot revert epoch 4: certification bias data ID {\"zz\": {\"b\": \"é\", \"yyy\": 2},"
     " \"abc\": 1}, dataset 8c8b7f6e-5d4c-4b3a-9a1b-0c2d3e4f5a6b over"
     " [2021-01-01T00:00:00.000000+00:00, +inf) in 'X' was changed or removed since, by"
     " epoch 6"),
    ("revert_in_use", {"epoch": 4, "later_epoch": None, "what": "dataset", "collection": "r",
                       "dataset_type": "bias", "data_id": {"d": 1}, "dataset": "u",
                       "validity": None},
     "cannot revert epoch 4: dataset bias data ID {\"d\": 1}, dataset u in 'r' is in use"
     " since epoch NULL"),
    ("revert_occupied", {"epoch": 4, "later_epoch": 5, "what": "chain position",
                         "collection": "C", "position": 2, "child": "T"},
     "cannot revert epoch 4: chain position 2 (child 'T') in 'C' cannot be restored: its"
     " place was taken by epoch 5"),
    ("revert_target_removed", {"epoch": 4, "later_epoch": 5, "what": "collection",
                               "collection": "it's", "missing": "collection"},
     "cannot revert epoch 4: collection \"it's\" in \"it's\" cannot be restored: its"
     " collection was removed by epoch 5"),
])
def test_render(kind: str, details: dict, expected: str) -> None:
    assert messages.render(kind, details) == expected


def test_render_needs_the_facts_its_template_prints() -> None:
    with pytest.raises(KeyError):
        messages.render("collection_missing", {})
    with pytest.raises(KeyError):
        messages.render("no_such_kind", {"collection": "c"})


def test_error_builds_the_class_message_and_details() -> None:
    err = errors.error("certification_conflict", collection="c", conflicts=[CONFLICT])
    assert type(err) is errors.ConflictingCertificationError
    assert str(err) == err.message == messages.render(
        "certification_conflict", {"collection": "c", "conflicts": [CONFLICT]})
    assert err.kind == "certification_conflict" and err.collection == "c"
    assert isinstance(err.conflicts[0]["timespan"], calibcert.Timespan)  # normalised
    again = pickle_round_trip(err)
    assert (type(again), again.message, again.details) == (type(err), err.message, err.details)


def pickle_round_trip(err: Exception) -> Exception:
    import pickle

    return pickle.loads(pickle.dumps(err))


# -- real server errors ------------------------------------------------------------------------


def _server_error(conn: psycopg.Connection, sql: str, params: tuple = ()) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as info:
        with conn.transaction():
            conn.execute(sql, params)
    return info.value


def test_server_errors_are_rendered_from_their_detail(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SELECT calib.register_collection('it''s', 'RUN')")
        conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector'])")
        cases = [
            ("SELECT calib.set_chain('it''s', ARRAY['x'])", "KC003",
             "collection 'it''s' is RUN; expected CHAINED",
             "collection \"it's\" is RUN; expected CHAINED"),
            ("SELECT calib.register_dataset_type('bias', ARRAY['instrument'])", "KC010",
             "dataset type 'bias' already exists with dimensions {instrument,detector},"
             " is_calibration=t",
             "dataset type 'bias' already exists with dimensions (instrument, detector),"
             " is_calibration=True"),
            ("SELECT * FROM calib.insert_datasets('bias', 'it''s',"
             " ARRAY['{\"instrument\": \"Cam\", \"detector\": 1, \"x\": 2}'::jsonb])", "KC008",
             "data ID {\"x\": 2, \"detector\": 1, \"instrument\": \"Cam\"} does not match the"
             " dimensions (instrument, detector) of dataset type 'bias'; unexpected x",
             "data ID {\"detector\": 1, \"instrument\": \"Cam\", \"x\": 2} does not match the"
             " dimensions (instrument, detector) of dataset type 'bias'; unexpected x"),
            ("SELECT calib.certify('nowhere', ARRAY[]::uuid[], '[2020-01-01,)')", "KC002",
             "collection 'nowhere' does not exist", "collection 'nowhere' does not exist"),
        ]
        for sql, code, psql_text, python_text in cases:
            exc = _server_error(conn, sql)
            assert exc.sqlstate == code, sql
            # What psql shows: the SQLSTATE, then the message as the function wrote it.
            assert exc.diag.message_primary == f"{code}: {psql_text}"
            detail = json.loads(exc.diag.message_detail)
            err = translate(exc)
            assert err.message == python_text == messages.render(detail["kind"], detail)
            assert err.kind == detail["kind"] and messages.sqlstate(err.kind) == code


def test_the_two_kinds_of_a_missing_collection_are_told_apart() -> None:
    # Both are KC002 with the details {collection}: the kind says which message it is.
    a = errors.error("collection_missing", collection="c")
    b = errors.error("collection_removed_concurrently", collection="c")
    assert type(a) is type(b) is errors.MissingCollectionError
    assert a.message == "collection 'c' does not exist"
    assert b.message == "collection 'c' was removed by a concurrent transaction"


def test_both_backends_say_the_same_where_postgresql_notation_differs(
        pg_url: str, sqlite_url: str) -> None:
    # Names PostgreSQL would quote as E'...' or with doubled quotes, and data-ID keys whose
    # jsonb order (shorter keys first) is not their sorted order: the same text on both
    # backends, because both render it here.
    odd = "it's a \\ back"
    outcomes = [_odd_errors(url, odd) for url in (pg_url, sqlite_url)]
    assert outcomes[0] == outcomes[1]
    assert [m for _, m, _ in outcomes[0]] == [
        f"RUN {odd!r} already has a 'flat' dataset with data ID {{\"aaa\": 1, \"zz\": \"é\"}}",
        f"collection {odd!r} is RUN; expected CHAINED",
        f"collection {odd + '?'!r} does not exist",
    ]


def _odd_errors(url: str, odd: str) -> list[tuple[type, str, dict]]:
    reg = calibcert.connect(url)
    try:
        reg.register_collection(odd, calibcert.CollectionType.RUN)
        reg.register_dataset_type("flat", ("zz", "aaa"))
        reg.insert_datasets("flat", odd, [{"zz": "é", "aaa": 1}])
        said = []
        for call in (lambda: reg.insert_datasets("flat", odd, [{"zz": "é", "aaa": 1}]),
                     lambda: reg.set_chain(odd, []),
                     lambda: reg.certifications(odd + "?")):
            with pytest.raises(errors.CalibCertError) as info:
                call()
            said.append((type(info.value), info.value.message, info.value.details))
        return said
    finally:
        reg.close()
