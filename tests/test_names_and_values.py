"""One set of limits and Unicode rules for names and data-ID values, on both backends (issue
14, items 2 and 6; revision 0010; README "Names and data-ID values").

Names (collections, dataset types, dimensions) and data-ID string values have 1-255
characters, are normalised to Unicode NFC (look-alike spellings are one name, one key), and
hold no control or format character (calibcert.types.FORBIDDEN_RANGES, the same list as
calib._forbidden_character); a data ID is at most 2000 bytes as canonical JSON, so
PostgreSQL's btree limit is never reached. Refusals are InvalidNameError (KC014) or
DataIdError (KC008) with a kind each, the same on both backends and from SQL; quotes, $$,
semicolons and backslashes are ordinary characters, stored exactly; a refused call changes
nothing. Each test names the broken version it catches.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from calibcert import CollectionType, Timespan
from calibcert.errors import (
    CalibCertError,
    DataIdError,
    InvalidArgumentError,
    InvalidNameError,
    translate,
)
from calibcert.registry import Registry
from calibcert.types import FORBIDDEN_RANGES, canonical_data_id, forbidden_character

UTC = timezone.utc
T = datetime(2021, 1, 1, tzinfo=UTC)

NFD_CAFE, NFC_CAFE = "cafe\u0301", "caf\u00e9"

#: One of each family of refused characters (all but the surrogate reach SQL as well).
FORBIDDEN = ["\x00", "\x01", "\t", "\n", "\x1f", "\x7f", "\x85", "\x9f", "\u00ad", "\u061c",
             "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2060",
             "\u2066", "\u2069", "\ufeff", "\U000e0001", "\ud800", "\udfff"]
#: Ordinary characters that look dangerous to a careless SQL or shell writer.
HOSTILE = ["it's", 'say "hi"', "$$", "$x$ $$;", "a;b", "back\\slash", "\\x00", "--comment",
           "'); DROP TABLE calib.collection; --", "%s %(x)s {0}", "🙂 emoji", "ﬁ ligature",
           "Ω omega"]


def _state(reg: Registry) -> tuple[Any, ...]:
    """Everything a refused call must leave as it was."""
    colls = reg.list_collections()
    datasets = [(c.name, t.name, reg.query_datasets(c.name, t.name))
                for c in colls if c.type == CollectionType.RUN for t in reg.list_dataset_types()]
    return (colls, reg.list_dataset_types(), datasets, reg.certifications("calib"))


def _world(reg: Registry) -> None:
    reg.register_collection("run", CollectionType.RUN)
    reg.register_collection("calib", CollectionType.CALIBRATION)
    reg.register_dataset_type("bias", ("instrument", "detector"))
    ref = reg.insert_datasets("bias", "run", [{"instrument": "Cam", "detector": 1}])
    reg.certify("calib", ref, Timespan(T, None))


# -- the rules, as Python and SQL write them --------------------------------------------------


def test_python_and_sql_refuse_the_same_characters(pg_registry: Registry) -> None:
    # Broken version caught: the two lists drifting apart (one backend would store a
    # character the other refuses). Every code point but NUL and the surrogates, which
    # PostgreSQL cannot hold.
    conn = pg_registry.connection
    sql = set(conn.execute(
        "SELECT g FROM generate_series(1, 1114111) AS g"
        " WHERE g NOT BETWEEN 55296 AND 57343"
        " AND calib._forbidden_character(chr(g)) IS NOT NULL").fetchall())
    python = {(c,) for a, b in FORBIDDEN_RANGES for c in range(a, b + 1)
              if c and not 0xD800 <= c <= 0xDFFF}
    assert sql == python
    assert conn.execute("SELECT calib._forbidden_character(%s)", ("ab\U000e0041c",)
                        ).fetchone()[0] == forbidden_character("ab\U000e0041c") == "U+E0041"


def test_the_client_fast_path_stays_fast() -> None:
    # Broken version caught: normalising and scanning every value of every find_many query
    # (plain ASCII strings and integers need neither). Measured against the full checks of
    # the same data IDs (taken when dimensions are given), not against a clock: the fast
    # path is about 7 times faster on the test machine; at least 3 is required. (Absolute,
    # for the record: 1.7 us per data ID before revision 0010, 2.3 us after.)
    data_ids = [{"instrument": "LATISS", "detector": d, "physical_filter": "g"}
                for d in range(5_000)]
    dims = ("detector", "instrument", "physical_filter")

    def fast() -> None:
        for d in data_ids:
            canonical_data_id(d, None, "flat")

    def full() -> None:
        for d in data_ids:
            canonical_data_id(d, dims, "flat")

    fast_s, full_s = [], []
    for _ in range(5):  # interleaved: a busy machine slows both alike
        for f, out in ((fast, fast_s), (full, full_s)):
            start = time.perf_counter()
            f()
            out.append(time.perf_counter() - start)
    assert min(fast_s) * 3 < min(full_s), (min(fast_s), min(full_s))


# -- names ---------------------------------------------------------------------------------------


def test_nfc_and_nfd_spellings_are_one_name(backend: Registry) -> None:
    # Broken version caught: names compared as given ("café" twice, as two collections).
    assert backend.register_collection(NFD_CAFE, CollectionType.RUN) is True
    assert backend.register_collection(NFC_CAFE, CollectionType.RUN) is False
    assert [c.name for c in backend.list_collections()] == [NFC_CAFE]
    backend.register_dataset_type("bias" + NFD_CAFE, ("d" + NFD_CAFE,))
    assert backend.register_dataset_type("bias" + NFC_CAFE, ("d" + NFC_CAFE,)) is False
    ref = backend.insert_datasets("bias" + NFD_CAFE, NFD_CAFE, [{"d" + NFD_CAFE: 1}])[0]
    assert ref.data_id == {"d" + NFC_CAFE: 1} and ref.run == NFC_CAFE
    assert backend.find(NFD_CAFE, "bias" + NFC_CAFE, {"d" + NFC_CAFE: 1}, None) == ref
    backend.register_collection("tagged", CollectionType.TAGGED)
    backend.register_collection("chain", CollectionType.CHAINED)
    backend.set_chain("chain", [NFD_CAFE, "tagged"])
    assert backend.get_chain("chain") == [NFC_CAFE, "tagged"]
    backend.copy_collection("tagged", "t" + NFD_CAFE)
    assert "t" + NFC_CAFE in [c.name for c in backend.list_collections()]


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_forbidden_characters_in_names(backend: Registry, char: str) -> None:
    # Broken version caught: only C0/C1 controls refused (revision 0009: a right-to-left
    # override or a zero-width space made look-alike names), or a raw driver error for NUL
    # and surrogates.
    _world(backend)
    before = _state(backend)
    code = f"U+{ord(char):04X}"
    for call in (lambda: backend.register_collection(f"a{char}b", CollectionType.RUN),
                 lambda: backend.copy_collection("calib", f"a{char}b"),
                 lambda: backend.register_dataset_type(f"a{char}b", ("x",)),
                 lambda: backend.register_dataset_type("t", ("x", f"a{char}b"))):
        with pytest.raises(InvalidNameError) as info:
            call()
        assert info.value.details["kind"] == "name_character"
        assert info.value.character == code and code in info.value.message
    assert _state(backend) == before


@pytest.mark.parametrize("char", ["\x00", "\ud800"], ids=["NUL", "surrogate"])
def test_unsendable_characters_in_looked_up_names(backend: Registry, char: str) -> None:
    # Broken version caught: such a name reaching psycopg (ValueError / UnicodeEncodeError
    # on PostgreSQL, a plain miss on SQLite: two backends, two answers).
    _world(backend)
    for call in (lambda: backend.find(f"ca{char}lib", "bias", {}, T),
                 lambda: backend.certifications(f"ca{char}lib"),
                 lambda: backend.query_datasets("run", f"bi{char}as"),
                 lambda: backend.remove_collection(f"r{char}")):
        with pytest.raises(InvalidNameError) as info:
            call()
        assert info.value.details["kind"] == "name_character"


@pytest.mark.parametrize("name", HOSTILE)
def test_ordinary_characters_in_names_are_stored_exactly(backend: Registry, name: str) -> None:
    # Broken version caught: quoting or escaping by hand somewhere (a name with ' or $$ or ;
    # stored differently, or running as SQL).
    _world(backend)
    before = _state(backend)
    backend.register_collection(name, CollectionType.TAGGED, doc=name)
    backend.register_dataset_type(name, (name, "detector"))
    ref = backend.insert_datasets(name, "run", [{name: name, "detector": 1}])[0]
    backend.tag(name, [ref])
    assert [(c.name, c.doc) for c in backend.list_collections(CollectionType.TAGGED)] == [
        (name, name)]
    assert backend.find(name, name, {name: name, "detector": 1}, None) == ref
    assert ref.data_id == {name: name, "detector": 1}
    assert backend.query_datasets(name, name, {name: name}) == [ref]
    after = _state(backend)
    assert sorted(c.name for c in after[0]) == sorted([*(c.name for c in before[0]), name])
    assert after[3] == before[3]  # the certifications: untouched


def test_name_lengths(backend: Registry) -> None:
    # Broken version caught: a length counted after a client-side change only, or a
    # megabyte name echoed whole in the message.
    assert backend.register_collection("x" * 255, CollectionType.RUN)
    for name in ("", "x" * 256, "y" * 1_000_000, "\u00e9" * 256):
        with pytest.raises(InvalidNameError) as info:
            backend.register_collection(name, CollectionType.RUN)
        assert info.value.details["kind"] == "name_length"
        assert len(info.value.message) < 200
    # 255 characters in NFC (510 in NFD) is a valid name.
    assert backend.register_collection("e\u0301" * 255, CollectionType.RUN)
    assert [len(c.name) for c in backend.list_collections()] == [255, 255]
    with pytest.raises(CalibCertError):  # unknown, whatever its length: a clear error
        backend.certifications("z" * 1_000_000)


# -- data-ID keys and values ---------------------------------------------------------------------


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_forbidden_characters_in_data_ids(backend: Registry, char: str) -> None:
    # Broken version caught: values with controls, bidi or zero-width characters stored (or
    # refused by one backend only: revision 0009 stored a lone surrogate on SQLite).
    _world(backend)
    before = _state(backend)
    code = f"U+{ord(char):04X}"
    value = {"instrument": f"C{char}am", "detector": 1}
    for call in (lambda: backend.insert_datasets("bias", "run", [value]),
                 lambda: backend.find("calib", "bias", value, T),
                 lambda: backend.find_many("calib", "bias", [(value, T)]),
                 lambda: backend.decertify("calib", "bias", Timespan(T, None), [value]),
                 lambda: backend.query_datasets("run", "bias", {"instrument": f"C{char}am"})):
        with pytest.raises(DataIdError) as info:
            call()
        assert info.value.details["kind"] == "data_id_value_character"
        assert (info.value.dimension, info.value.character) == ("instrument", code)
    key = {"instrument": "Cam", f"de{char}tector": 1}
    with pytest.raises(DataIdError) as info:  # a key no dimension can have
        backend.insert_datasets("bias", "run", [key])
    assert info.value.details["kind"] in ("data_id_key_character", "data_id_dimensions")
    assert _state(backend) == before


def test_nfc_and_nfd_values_are_one_key(backend: Registry) -> None:
    # Broken version caught: values compared as given (two datasets for "café").
    _world(backend)
    ref = backend.insert_datasets("bias", "run", [{"instrument": NFD_CAFE, "detector": 2}])[0]
    assert ref.data_id == {"instrument": NFC_CAFE, "detector": 2}
    with pytest.raises(CalibCertError) as info:
        backend.insert_datasets("bias", "run", [{"instrument": NFC_CAFE, "detector": 2}])
    assert info.value.details["kind"] == "run_data_id_exists"
    assert backend.find("run", "bias", {"instrument": NFD_CAFE, "detector": 2}, None) == ref
    assert backend.query_datasets("run", "bias", {"instrument": NFD_CAFE}) == [ref]


def test_value_lengths_and_data_id_size(backend: Registry) -> None:
    # Broken version caught: no limit (PostgreSQL: ProgramLimitExceeded from the btree at
    # ~2.7 kB, reported as a connection problem; SQLite: a megabyte stored).
    _world(backend)
    before = _state(backend)
    for value, kind in (("", "data_id_value_length"), ("x" * 256, "data_id_value_length"),
                        ("x" * 3000, "data_id_value_length"),
                        ("x" * 1_000_000, "data_id_value_length"),
                        ("\U0001f642" * 256, "data_id_value_length")):
        with pytest.raises(DataIdError) as info:
            backend.insert_datasets("bias", "run", [{"instrument": value, "detector": 5}])
        assert info.value.details["kind"] == kind
        assert len(info.value.message) < 300
    megabyte = "k" * 1_000_000
    for call in (lambda: backend.insert_datasets("bias", "run", [{"instrument": "Cam",
                                                                  megabyte: 1}]),
                 lambda: backend.find("calib", "bias", {"instrument": "Cam", megabyte: 1}, T)):
        with pytest.raises(DataIdError) as info:  # a megabyte key: too big a data ID
            call()
        assert len(info.value.message) < 300
    with pytest.raises(InvalidNameError) as info2:  # a megabyte dimension name
        backend.register_dataset_type("big", ("instrument", megabyte))
    assert info2.value.details["kind"] == "name_length"
    for name in ("a" * 255, "b" * 255):
        backend.register_dataset_type(name, ("instrument", "detector", "x" * 200 + name[0]))
    # 255 characters of 4 bytes each: 1020 bytes of value, within the limits.
    big = {"instrument": "\U0001f642" * 255, "detector": 2**63 - 1, "x" * 200 + "a": "v" * 255}
    backend.insert_datasets("a" * 255, "run", [big])
    too_big = {**big, "x" * 200 + "a": "\U0001f642" * 255}
    with pytest.raises(DataIdError) as info:
        backend.insert_datasets("a" * 255, "run", [too_big])
    assert info.value.details["kind"] == "data_id_size" and info.value.size > 2000
    assert _state(backend)[3] == before[3]


def test_at_most_32_dimensions_and_the_largest_data_id_is_stored(backend: Registry) -> None:
    # Broken version caught: a dataset type with so many short dimensions that a data ID of
    # 2000 bytes of JSON is a jsonb too large for a btree entry (ProgramLimitExceeded).
    backend.register_collection("run", CollectionType.RUN)
    dims = tuple(f"d{i:02d}" for i in range(32))
    backend.register_dataset_type("wide", dims)
    with pytest.raises(InvalidArgumentError) as info:
        backend.register_dataset_type("wider", (*dims, "d32"))
    assert info.value.details["kind"] == "dimensions_count"
    small = {**dict.fromkeys(dims[:16], 0), **dict.fromkeys(dims[16:], "s")}
    backend.insert_datasets("wide", "run", [small])
    # As close to 2000 bytes as 32 values can get, with integers where they are cheapest.
    ints = {d: -(2**63) for d in dims[:16]}
    strings = {d: "s" * 88 for d in dims[16:]}
    data_id = {**ints, **strings}
    size = len(json.dumps(data_id, separators=(",", ":")).encode())
    assert 1900 < size <= 2000, size
    assert backend.insert_datasets("wide", "run", [data_id])[0].data_id == data_id


@pytest.mark.parametrize("value", HOSTILE)
def test_ordinary_characters_in_values_are_stored_exactly(backend: Registry,
                                                          value: str) -> None:
    _world(backend)
    ref = backend.insert_datasets("bias", "run", [{"instrument": value, "detector": 9}])[0]
    assert backend.get_datasets([ref.id])[0].data_id == {"instrument": value, "detector": 9}
    backend.certify("calib", [ref], Timespan(None, T))
    assert backend.find("calib", "bias", {"instrument": value, "detector": 9},
                        datetime(2000, 1, 1, tzinfo=UTC)) == ref


# -- from SQL: the functions enforce the rules themselves, with the client's errors -------------


#: (call through the client, the same call in SQL) pairs that must fail alike.
def _pairs(conn: psycopg.Connection) -> list[tuple[Any, Any]]:
    def ins(value: Any) -> tuple[str, tuple[Any, ...]]:
        return ("SELECT * FROM calib.insert_datasets('bias', 'run', %s::jsonb[])",
                ([Jsonb({"instrument": value, "detector": 3})],))

    out = []
    for value in ("", "x" * 256, "x" * 1_000_000, "C\u200bam", "C\u202eam", "C\x01am",
                  "a\nb", "\ufeffCam"):
        out.append((lambda reg, v=value: reg.insert_datasets(
            "bias", "run", [{"instrument": v, "detector": 3}]), ins(value)))
    for name in ("", "n" * 256, "a\u2066b", "a\x7fb", "\u00adx"):
        out.append((lambda reg, n=name: reg.register_collection(n, "RUN"),
                    ("SELECT calib.register_collection(%s, 'RUN')", (name,))))
        out.append((lambda reg, n=name: reg.register_dataset_type("t", ("a", n)),
                    ("SELECT calib.register_dataset_type('t', ARRAY['a', %s])", (name,))))
    out.append((lambda reg: reg.query_datasets("run", "bias", {"detector": "1"}),
                ("SELECT * FROM calib.query_datasets('run', 'bias', %s)",
                 (Jsonb({"detector": "1"}),))))
    out.append((lambda reg: reg.register_dataset_type("w", tuple(f"d{i}" for i in range(33))),
                ("SELECT calib.register_dataset_type('w', %s)",
                 ([f"d{i}" for i in range(33)],))))
    return out


def test_sql_and_client_give_the_same_errors(pg_registry: Registry) -> None:
    # Broken versions caught: the SQL functions trusting the client (a service calling SQL
    # stores "C\u200bam" or a 3 kB value), and client checks that drift from SQL's (another
    # class, kind, message or details than the server's for the same input).
    _world(pg_registry)
    conn = pg_registry.connection
    for client_call, (sql, args) in _pairs(conn):
        with pytest.raises(CalibCertError) as from_client:
            client_call(pg_registry)
        with conn.transaction(force_rollback=True):
            with pytest.raises(psycopg.Error) as raw:
                conn.execute(sql, args)
        assert raw.value.sqlstate.startswith("KC"), raw.value  # never 54000 or 22xxx
        from_sql = translate(raw.value)
        assert type(from_sql) is type(from_client.value), sql
        assert from_sql.message == from_client.value.message
        assert from_sql.details == from_client.value.details


def test_sql_normalises_names_and_values(pg_registry: Registry) -> None:
    conn = pg_registry.connection
    conn.execute("SELECT calib.register_collection(%s, 'RUN')", (NFD_CAFE,))
    assert conn.execute("SELECT calib.register_collection(%s, 'RUN')", (NFC_CAFE,)
                        ).fetchone()[0] is False
    conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector'])")
    row = conn.execute("SELECT data_id FROM calib.insert_datasets('bias', %s, %s::jsonb[])",
                       (NFD_CAFE, [Jsonb({"instrument": NFD_CAFE, "detector": 1.0})])).fetchone()
    assert row[0] == {"instrument": NFC_CAFE, "detector": 1}
    assert conn.execute("SELECT count(*) FROM calib.find(%s, 'bias', %s, NULL::timestamptz)",
                        (NFD_CAFE, Jsonb({"instrument": NFC_CAFE, "detector": 1}))
                        ).fetchone()[0] == 1


def test_raw_writers_meet_the_name_checks(pg_registry: Registry) -> None:
    # Broken version caught: the rules in the functions only (a DBA's INSERT of an NFD or
    # zero-width name would make a second "café").
    conn = pg_registry.connection
    for name in (NFD_CAFE, "a\u200bb", "a\u202eb", "x" * 256):
        for table in ("collection", "dataset_type"):
            extra = ("type", "'RUN'") if table == "collection" else (
                "dimensions, is_calibration", "'{}', true")
            with conn.transaction(force_rollback=True):
                with pytest.raises(psycopg.errors.CheckViolation) as info:
                    conn.execute(f"INSERT INTO calib.{table} (name, {extra[0]})"
                                 f" VALUES (%s, {extra[1]})", (name,))
                assert info.value.diag.constraint_name == f"{table}_name_check"
    conn.execute("INSERT INTO calib.collection (name, type) VALUES (%s, 'RUN')",
                 ("$$;'\\ \"ok\"",))
