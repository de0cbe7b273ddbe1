"""Collection digests (README "Collection digests"): ``collection_digest`` on every backend
equals a few-line implementation of the README's specification written here from the
public API alone (so the README is exact), is the same on PostgreSQL and SQLite for the
same content, survives export/import and copy_collection, and changes with every change of
the content."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

import calibcert
from calibcert import CollectionType, Registry, exchange
from calibcert.errors import MissingCollectionError
from calibcert.schema import install_sql
from calibcert.testing import server_url
from conftest import INSTALL_FROM_SQL
from helpers import t, ts
from test_cli import cli, ok

COLLECTIONS = ("run", "calib", "tagged", "chain", "empty", "pathological")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


# -- the specification, independently: README "Collection digests", from the public API ---


def spec_digest(reg: Registry, name: str) -> str:
    def enc(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def when(instant):
        return None if instant is None else (instant.astimezone(timezone.utc).replace(
            tzinfo=None).isoformat(timespec="microseconds") + "+00:00")

    kind = {c.name: c.type.value for c in reg.list_collections()}[name]
    if kind == "CHAINED":
        lines = [enc({"child": c, "position": n}) for n, c in enumerate(reg.get_chain(name), 1)]
    elif kind == "CALIBRATION":
        lines = sorted(enc({"begin": when(c.timespan.begin), "data_id": c.ref.data_id,
                            "dataset_id": str(c.ref.id), "dataset_type": c.ref.dataset_type,
                            "end": when(c.timespan.end)}) for c in reg.certifications(name))
    else:
        lines = sorted(enc({"data_id": r.data_id, "dataset_id": str(r.id),
                            "dataset_type": r.dataset_type})
                       for d in reg.list_dataset_types() for r in reg.query_datasets(name, d.name))
    form = "\n".join([enc({"format": "calibcert-digest-v1", "type": kind}), *lines])
    return "sha256:" + hashlib.sha256(form.encode("utf-8")).hexdigest()


# -- a world with every kind of content ------------------------------------------------------


def _id(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


#: A string value with what JSON must escape (quote, backslash) and non-ASCII characters.
ODD = 'g"\\é€𝄞'
#: A dataset-type name (and below, a chain child's name) with the same characters.
FLAT = 'flat "é"'


def build(reg: Registry, detector_type: type = int) -> None:
    """The same operations on any backend, with fixed dataset ids. ``detector_type``
    (int or str) is the value type of dimension detector."""
    det = detector_type
    for name, kind in (("run", "RUN"), ("calib", "CALIBRATION"), ("tagged", "TAGGED"),
                       ("chain", "CHAINED"), ("empty", "CALIBRATION"),
                       ("pathological", "CALIBRATION"), (ODD, "TAGGED")):
        reg.register_collection(name, kind)
    reg.register_dataset_type("bias", ("instrument", "detector"))
    # jsonb orders keys shorter first ("x" < "detector"); the digest by code point.
    reg.register_dataset_type(FLAT, ("instrument", "detector", "x"))
    # a negative and a large integer: JSON numbers as written by both backends
    reg.insert_datasets("bias", "run", [{"instrument": "Cam", "detector": det(d)}
                                        for d in (1, 2, 10, -5, 2**62)],
                        ids=[_id(1), _id(2), _id(3), _id(6), _id(7)])
    # Values whose byte order differs from a linguistic one ("B" < "a" < "f" < "é").
    reg.insert_datasets(FLAT, "run", [{"instrument": "Cam", "detector": det(1), "x": x}
                                      for x in (ODD, "1", "é", "f", "a", "B")],
                        ids=[_id(4), _id(5), _id(8), _id(9), _id(10), _id(11)])
    reg.certify("calib", [_id(1), _id(2)], ts(None, 2020))  # unbounded begin
    reg.certify("calib", [_id(1), _id(3)], ts(t(2021, 3, 4, 5, 6, 7, 89), None))  # open end
    reg.certify("calib", [_id(4), _id(5), _id(8), _id(9), _id(10), _id(11)],
                ts(t(1999, 12, 31, 23, 59, 59, 999999), 2000))
    reg.certify("calib", [_id(6), _id(7)], ts(t(1970), t(1970, microsecond=1)))
    reg.certify("pathological", [_id(4)], ts(None, None))  # unbounded on both sides
    reg.tag("tagged", [_id(2), _id(4)])
    reg.set_chain("chain", ["calib", "tagged", ODD, "run"])


def digests(reg: Registry) -> dict[str, str]:
    return {name: reg.collection_digest(name) for name in COLLECTIONS}


# -- the specification ---------------------------------------------------------------------


def test_digest_follows_the_readme_specification(backend: Registry) -> None:
    build(backend)
    got = digests(backend)
    assert all(DIGEST.match(d) for d in got.values()), got
    assert got == {name: spec_digest(backend, name) for name in COLLECTIONS}
    # Seven distinct contents, seven digests (two empty CALIBRATION collections aside).
    assert len(set(got.values())) == len(COLLECTIONS)


def test_an_empty_collection_is_its_header_alone(backend: Registry) -> None:
    backend.register_collection("c", CollectionType.CALIBRATION)
    backend.register_collection("t", CollectionType.TAGGED)
    header = '{"format":"calibcert-digest-v1","type":"CALIBRATION"}'
    assert backend.collection_digest("c") == (
        "sha256:" + hashlib.sha256(header.encode()).hexdigest())
    # The collection type is part of the form: two empty collections of two types differ.
    assert backend.collection_digest("t") != backend.collection_digest("c")


def test_unknown_collection(backend: Registry) -> None:
    with pytest.raises(MissingCollectionError):
        backend.collection_digest("nope")


def test_lines_sort_by_bytes_whatever_the_database_collation(pg_server, pg_admin_url,
                                                             pg_registry: Registry) -> None:
    # A database whose default collation is linguistic (ICU en-US: "a" < "B" < "é" < "f")
    # computes the digests of a C-collated one: the lines are sorted by their bytes.
    name = "calib_digest_icu"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu'
                     " ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    try:
        url = server_url(pg_server, name)
        if INSTALL_FROM_SQL:  # the mutation check: the sql/ under test
            with psycopg.connect(url) as conn:
                conn.execute(install_sql().encode())
        else:
            calibcert.upgrade(url)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT array_agg(x ORDER BY x) FROM unnest("
                                "ARRAY['f', 'é', 'B', 'a']) AS x").fetchone()[0] == [
                "a", "B", "é", "f"]
        build(pg_registry)
        with calibcert.connect(url) as icu:
            build(icu)
            assert digests(icu) == digests(pg_registry)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_same_content_same_digest_on_postgresql_and_sqlite(pg_registry: Registry,
                                                            sqlite_registry: Registry) -> None:
    build(pg_registry)
    build(sqlite_registry)
    assert digests(pg_registry) == digests(sqlite_registry)


def test_data_id_value_types_are_content(pg_registry: Registry,
                                         sqlite_registry: Registry) -> None:
    # Detector 1 the integer (PostgreSQL) and "1" the string (SQLite): every collection
    # holding a data ID with a detector differs, and each backend still follows the README.
    build(pg_registry, int)
    build(sqlite_registry, str)
    a, b = digests(pg_registry), digests(sqlite_registry)
    assert {n for n in COLLECTIONS if a[n] != b[n]} == {"run", "calib", "tagged",
                                                        "pathological"}
    assert b == {name: spec_digest(sqlite_registry, name) for name in COLLECTIONS}


def test_every_change_changes_the_digest(backend: Registry) -> None:
    build(backend)
    reg = backend
    seen = {reg.collection_digest("calib")}

    def changed(name: str) -> str:
        d = reg.collection_digest(name)
        assert d == spec_digest(reg, name)
        assert d not in seen, "a changed content kept an earlier digest"
        seen.add(d)
        return d

    reg.certify("calib", [_id(2)], ts(2030, 2031))
    changed("calib")
    assert reg.decertify("calib", "bias", ts(t(2030, 5), t(2030, 6)),  # a split
                         [{"instrument": "Cam", "detector": 2}]) == 1
    changed("calib")
    reg.certify("calib", [_id(1)], ts(2040, None), close_open=True)  # closes [2021-03-04, +inf)
    changed("calib")
    reg.close_open_range("calib", "bias", t(2050))
    changed("calib")
    reg.certify("calib", [_id(2)], ts(t(2050), None))
    before = changed("calib")
    # one microsecond less is another content
    reg.decertify("calib", "bias", ts(t(2050), t(2050, microsecond=1)))
    changed("calib")
    assert before != reg.collection_digest("calib")

    seen = {reg.collection_digest("tagged")}
    start = reg.collection_digest("tagged")
    reg.untag("tagged", [_id(4)])
    changed("tagged")
    reg.tag("tagged", [_id(5)])
    changed("tagged")
    reg.untag("tagged", [_id(5)])
    reg.tag("tagged", [_id(4)])
    # Content, not history: the same tags again give the first digest.
    assert reg.collection_digest("tagged") == start

    seen = {reg.collection_digest("chain")}
    reg.set_chain("chain", ["tagged", "calib", ODD, "run"])  # the same children, another order
    changed("chain")
    reg.set_chain("chain", ["tagged", "calib"])
    changed("chain")

    seen = {reg.collection_digest("run")}
    reg.insert_datasets("bias", "run", [{"instrument": "Cam", "detector": 3}])
    changed("run")


def test_a_chain_covers_its_children_names_not_their_content(backend: Registry) -> None:
    build(backend)
    before = backend.collection_digest("chain")
    backend.certify("calib", [_id(2)], ts(2030, 2031))
    assert backend.collection_digest("chain") == before


def test_a_copy_under_another_name_has_the_same_digest(backend: Registry) -> None:
    build(backend)
    for name in ("calib", "tagged", "chain", "empty", "pathological"):
        backend.copy_collection(name, f"copy of {name}", doc="another doc")
        assert backend.collection_digest(f"copy of {name}") == backend.collection_digest(name)
    # a state is not content either
    backend.set_collection_state("calib", "FROZEN")
    assert backend.collection_digest("calib") == backend.collection_digest("copy of calib")


def test_export_import_keeps_every_digest(pg_registry: Registry, sqlite_registry: Registry,
                                          tmp_path: Path) -> None:
    # PostgreSQL -> document -> SQLite -> document -> another SQLite file.
    build(pg_registry)
    exchange.import_data(sqlite_registry, exchange.export_data(pg_registry, list(COLLECTIONS)))
    assert digests(sqlite_registry) == digests(pg_registry)
    url = f"sqlite:///{tmp_path / 'third.db'}"
    calibcert.upgrade(url)
    with calibcert.connect(url) as third:
        exchange.import_data(third, exchange.loads(exchange.dumps(
            exchange.export_data(sqlite_registry, list(COLLECTIONS)))))
        assert digests(third) == digests(pg_registry)


# -- the command line --------------------------------------------------------------------------


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


def test_cli_digest_and_export_import_into_another_database(url: str, tmp_path: Path,
                                                            request) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    with calibcert.connect(url) as reg:
        build(reg)
        expected = digests(reg)
    assert ok(home, url, "digest", "calib").out == expected["calib"] + "\n"
    assert ok(home, url, "digest", "chain", "--json").json() == {
        "collection": "chain", "digest": expected["chain"]}
    r = cli(home, url, "digest", "nope")
    assert r.code == 2 and "does not exist" in r.err, r
    # calibcert export / import into a new database of the other kind
    ok(home, url, "export", *COLLECTIONS, "-o", str(home / "all.json"))
    target = (request.getfixturevalue("empty_pg_url") if url.startswith("sqlite")
              else f"sqlite:///{tmp_path / 'target.db'}")
    ok(home, None, "db", "upgrade", "--url", target)
    ok(home, target, "import", str(home / "all.json"))
    for name in COLLECTIONS:
        assert ok(home, target, "digest", name).out == expected[name] + "\n"


# -- the README's example and snippet are exact ------------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_section() -> str:
    text = README.read_text()
    start = text.index("### Collection digests (`calibcert-digest-v1`)")
    return text[start:text.index("\n### ", start + 1)]


def _blocks(lang: str) -> list[str]:
    return re.findall(r"```" + lang + r"\n(.*?)```", _readme_section(), re.S)


def test_the_readme_example_is_the_digest_of_its_content(backend: Registry) -> None:
    form, digest = _blocks("text")
    assert "sha256:" + hashlib.sha256(form.rstrip("\n").encode()).hexdigest() == digest.strip()
    backend.register_dataset_type("bias", ("instrument", "detector"))
    backend.register_collection("Cam/run", CollectionType.RUN)
    backend.register_collection("Cam/calib", CollectionType.CALIBRATION)
    (ref,) = backend.insert_datasets("bias", "Cam/run", [{"instrument": "Cam", "detector": 1}],
                                     ids=["75679260-a40e-481d-a506-c0738ca71d9d"])
    backend.certify("Cam/calib", [ref], ts(t(2024), None))
    backend.decertify("Cam/calib", "bias", ts(t(2024, 2, 10, 12), t(2024, 2, 11, 12)))
    assert backend.collection_digest("Cam/calib") == digest.strip()


def test_the_readme_snippet_runs_as_written(backend: Registry) -> None:
    (snippet,) = _blocks("python")
    scope: dict[str, Any] = {"json": json, "hashlib": hashlib, "timezone": timezone}
    exec(snippet, scope)  # noqa: S102 (the README's own code, checked)
    build(backend)
    for name in COLLECTIONS:
        assert scope["digest"](backend, name) == backend.collection_digest(name) \
            == spec_digest(backend, name)
