"""Closed certification versions written per statement on SQLite (revision 0016,
backends/sqlite/versions.py): decertify and close_open_range of many rows write the version
rows themselves and the row triggers step aside. Proved here: both ways leave the same rows
(certifications, versions, changes) and the same history, also when one transaction changes
rows it created or updated earlier; raw writers, in the same transaction and after it, are
still recorded by the triggers; and an UPDATE that moves a row to another key, or stretches
it, is still probed for overlaps (the shrink skip of the update guard).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from calibcert.backends.sqlite import versions
from calibcert.errors import InvalidTimespanError
from helpers import t

TYPE = "bias"
DETECTORS = range(1, 11)  # more than versions.STATEMENT_VERSIONS
_MICRO = timedelta(microseconds=1)


def det(d: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": d}


def _scenario(reg: Registry) -> None:
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    refs = reg.insert_datasets(TYPE, "run1", [det(d) for d in DETECTORS],
                               ids=[uuid.UUID(int=d) for d in DETECTORS])  # both files alike
    for name in ("X", "Y", "Z"):
        reg.register_collection(name, CollectionType.CALIBRATION)
    reg.certify("X", refs, Timespan(t(2020), None))
    reg.close_open_range("X", TYPE, t(2024), [det(d) for d in DETECTORS if d % 2])
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)))  # splits every row
    reg.decertify("X", TYPE, Timespan(t(2019), t(2021)))  # removes the left pieces
    # One transaction changes rows it created: no version of them is kept.
    with reg.transaction():
        reg.certify("Y", refs, Timespan(t(2020), None))
        reg.close_open_range("Y", TYPE, t(2026))
        reg.decertify("Y", TYPE, Timespan(t(2023), t(2024)))
    # One transaction updates rows of an earlier change (their versions lead to the rows),
    # then removes them: those versions no longer lead anywhere.
    reg.certify("Z", refs, Timespan(t(2020), None))
    with reg.transaction():
        reg.close_open_range("Z", TYPE, t(2025))
        reg.decertify("Z", TYPE, Timespan(t(2019), t(2030)), [det(d) for d in DETECTORS
                                                               if d > 3])
    reg.certify("Z", refs[3:], Timespan(t(2026), None), close_open=True)
    reg.close_open_range("Z", TYPE, t(2027))


def _state(reg: Registry) -> tuple[Any, ...]:
    conn = reg.connection
    rows = [tuple(r) for r in conn.execute(
        "SELECT * FROM certification ORDER BY collection_id, data_id_key, begin_us")]
    version_rows = [tuple(r) for r in conn.execute(
        "SELECT * FROM certification_version ORDER BY removed_change, collection_id,"
        " data_id_key, begin_us, created_change")]
    changes = [tuple(r) for r in conn.execute(
        "SELECT change_id, open, reason FROM change ORDER BY change_id")]
    history = [(r.epoch, r.collection, r.operation, str(r.dataset_id), r.validity_before,
                r.validity_after) for name in ("X", "Y", "Z") for r in reg.history(name, TYPE)]
    z_born = min(r[0] for r in history if r[1] == "Z")
    certs = [(c.collection, str(c.ref.id), c.timespan)
             for e in range(z_born, reg.current_epoch() + 1)
             for c in reg.certifications("Z", as_of=e)]
    return rows, version_rows, changes, history, certs


def _run(url: str, statement_versions: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    with monkeypatch.context() as m:
        m.setattr(versions, "STATEMENT_VERSIONS", statement_versions)
        with calibcert.connect(url) as reg:
            _scenario(reg)
            return _state(reg)


def test_statement_versions_equal_the_row_triggers(sqlite_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other.db"
    other.write_bytes(Path(sqlite_url.removeprefix("sqlite:///")).read_bytes())
    by_triggers = _run(f"sqlite:///{other}", 10**9, monkeypatch)
    by_statement = _run(sqlite_url, 1, monkeypatch)
    assert by_statement == by_triggers
    rows, version_rows, _, history, _ = by_statement
    # The scenario reaches what it is for: versions closed by update and by delete, some
    # leading to their successor, and rows created and changed within one change.
    assert any(v[7] is not None for v in version_rows)  # successor_begin_us
    assert any(v[7] is None for v in version_rows)
    assert {v[11] for v in version_rows} >= {"decertify", "close_open_range"}
    assert {h[2] for h in history} >= {"certify", "decertify", "close_open_range"}


def test_raw_writers_around_a_statement_versions_call_are_recorded(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        reg.register_dataset_type(TYPE, ("instrument", "detector"))
        reg.register_collection("run1", CollectionType.RUN)
        refs = reg.insert_datasets(TYPE, "run1", [det(d) for d in DETECTORS])
        reg.register_collection("X", CollectionType.CALIBRATION)
        reg.certify("X", refs, Timespan(t(2020), None))
        before = reg.current_epoch()
        assert len(refs) >= versions.STATEMENT_VERSIONS
        with reg.transaction():
            reg.close_open_range("X", TYPE, t(2025))  # by statement
            # raw SQL in the same transaction, after the call: the triggers record it
            reg.connection.execute("DELETE FROM certification WHERE dataset_id = ?",
                                   (refs[0].id.bytes,))
        assert tuple(reg.connection.execute(
            "SELECT operation, versions FROM change_context").fetchone()) == (None, None)
        raw = sqlite3.connect(path)
        raw.execute("UPDATE certification SET end_us = end_us - 1 WHERE dataset_id = ?",
                    (refs[1].id.bytes,))
        raw.commit()
        raw.close()
        after = [(r.epoch, r.operation, r.dataset_id, r.validity_before, r.validity_after)
                 for r in reg.history("X", TYPE, since=before + 1)]
    e = before + 1
    closed = Timespan(t(2020), t(2025))
    # The raw DELETE of a row the call had just closed: the delete trigger ran (the row's
    # version no longer leads to a current row: removed in epoch e, not closed).
    assert (e, "close_open_range", refs[0].id, Timespan(t(2020), None), None) in after
    assert sorted((r for r in after if r[2] != refs[0].id and r[0] == e), key=str) == sorted(
        ((e, "close_open_range", ref.id, Timespan(t(2020), None), closed) for ref in refs[1:]),
        key=str)
    # The raw UPDATE after the transaction: recorded as 'sql'.
    assert after[-1] == (e + 1, "sql", refs[1].id, closed,
                         Timespan(t(2020), t(2025) - _MICRO))


def test_raw_update_moving_a_row_to_another_collection_is_probed(sqlite_url: str) -> None:
    # The update guard skips its probe only for a row that keeps its key and shrinks: one
    # moved to another collection (even shrinking) is checked against that one's rows.
    with calibcert.connect(sqlite_url) as reg:
        reg.register_dataset_type(TYPE, ("instrument", "detector"))
        reg.register_collection("run1", CollectionType.RUN)
        refs = reg.insert_datasets(TYPE, "run1", [det(1)])
        for name in ("X", "Y"):
            reg.register_collection(name, CollectionType.CALIBRATION)
            reg.certify(name, refs, Timespan(t(2020), t(2030)))
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        x, y = (i for (i,) in conn.execute(
            "SELECT collection_id FROM collection WHERE name IN ('X', 'Y') ORDER BY name"))
        with pytest.raises(sqlite3.IntegrityError, match="certification_no_overlap"):
            conn.execute("UPDATE certification SET collection_id = ?, begin_us = begin_us + 1"
                         " WHERE collection_id = ?", (y, x))
        conn.execute("UPDATE certification SET begin_us = begin_us + 1, end_us = end_us - 1"
                     " WHERE collection_id = ?", (x,))  # a shrink in place is fine
    finally:
        conn.close()


def test_certify_names_its_operation_for_close_open(sqlite_url: str) -> None:
    # certify names its operation in change_context only before its close_open UPDATE (the
    # one statement whose triggers read it; its inserts stamp it themselves).
    with calibcert.connect(sqlite_url) as reg:
        reg.register_dataset_type(TYPE, ("instrument", "detector"))
        for run in ("run1", "run2"):
            reg.register_collection(run, CollectionType.RUN)
        old = reg.insert_datasets(TYPE, "run1", [det(1)])
        new = reg.insert_datasets(TYPE, "run2", [det(1)])
        reg.register_collection("X", CollectionType.CALIBRATION)
        reg.certify("X", old, Timespan(t(2020), None))
        reg.certify("X", new, Timespan(t(2022), None), close_open=True)
        e = reg.current_epoch()
        got = [(r.epoch, r.operation, r.dataset_id, r.validity_after)
               for r in reg.history("X", TYPE, since=e)]
        assert tuple(reg.connection.execute(
            "SELECT operation, versions FROM change_context").fetchone()) == (None, None)
    assert sorted(got, key=str) == sorted([
        (e, "certify", old[0].id, Timespan(t(2020), t(2022))),
        (e, "certify", new[0].id, Timespan(t(2022), None))], key=str)


def test_a_rolled_back_savepoint_takes_the_remembered_change_with_it(sqlite_url: str) -> None:
    # The backend remembers its transaction's change (epochs.py _change_id); a nested block
    # that opened it and was rolled back took the change's row with it, so the next call
    # must open a new one, or its versions would name a change that never commits.
    with calibcert.connect(sqlite_url) as reg:
        reg.register_dataset_type(TYPE, ("instrument", "detector"))
        reg.register_collection("run1", CollectionType.RUN)
        refs = reg.insert_datasets(TYPE, "run1", [det(d) for d in DETECTORS])
        for name in ("X", "Y"):
            reg.register_collection(name, CollectionType.CALIBRATION)
        reg.certify("X", refs, Timespan(t(2020), None))
        before = reg.current_epoch()
        with reg.transaction():
            with pytest.raises(RuntimeError):
                with reg.transaction():
                    reg.certify("Y", refs[:1], Timespan(t(2020), None))  # opens the change
                    raise RuntimeError("undo the block")
            reg.close_open_range("X", TYPE, t(2025))  # versions by statement
        assert reg.current_epoch() == before + 1
        got = [(r.epoch, r.operation, r.validity_after)
               for r in reg.history("X", TYPE, since=before + 1)]
        assert reg.certifications("Y") == []
    assert got == [(before + 1, "close_open_range", Timespan(t(2020), t(2025)))] * len(refs)


# -- decertify in place (revision 0017) ---------------------------------------------------


def _us(when: Any, unbounded: int) -> int:
    return unbounded if when is None else (when - t(1970)) // _MICRO


def _raw_decertify(reg: Registry, collection: str, span: Timespan,
                   refs: list[Any] | None) -> int:
    """What decertify did up to revision 0016, as the file's row triggers record it: the
    rows deleted, their pieces inserted, with change_context naming the operation (one
    transaction, or a savepoint inside the caller's). The reference the in-place decertify
    of revision 0017 must match row for row."""
    conn = reg.connection
    b, e = _us(span.begin, -2**63), _us(span.end, 2**63 - 1)
    ids = None if refs is None else json.dumps([r.id.hex for r in refs])
    with reg.transaction():
        conn.execute("UPDATE change_context SET operation = 'decertify' WHERE id = 1")
        gone = conn.execute(
            "DELETE FROM certification WHERE collection_id = (SELECT collection_id"
            "   FROM collection WHERE name = ?) AND end_us > ? AND begin_us < ?"
            " AND (? IS NULL OR hex(dataset_id) IN (SELECT upper(value) FROM json_each(?)))"
            " RETURNING collection_id, dataset_type_id, data_id_key, dataset_id, run_id,"
            " begin_us, end_us", (collection, b, e, ids, ids)).fetchall()
        pieces = ([(*g[:5], g[5], b) for g in gone if g[5] < b]
                  + [(*g[:5], e, g[6]) for g in gone if g[6] > e])
        conn.executemany(  # unstamped: the insert trigger stamps them with the change
            "INSERT INTO certification (collection_id, dataset_type_id, data_id_key,"
            " dataset_id, run_id, begin_us, end_us) VALUES (?, ?, ?, ?, ?, ?, ?)", pieces)
        conn.execute("UPDATE change_context SET operation = NULL WHERE id = 1")
    return len(gone)


def _cuts(reg: Registry, decertify: Any) -> list[int]:
    """Every kind of cut decertify makes (splits, first pieces, second pieces, covered rows;
    rows of this change and of earlier ones, after an update of the same change), with
    ``decertify(reg, collection, span, refs or None)``; returns what each call returned."""
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    refs = reg.insert_datasets(TYPE, "run1", [det(d) for d in DETECTORS],
                               ids=[uuid.UUID(int=d) for d in DETECTORS])
    for name in ("X", "Y", "Z"):
        reg.register_collection(name, CollectionType.CALIBRATION)
    out = []
    reg.certify("X", refs[:5], Timespan(t(2020), t(2030)))
    reg.certify("X", refs[5:], Timespan(t(2022), None))
    out.append(decertify(reg, "X", Timespan(t(2024), t(2025)), None))  # splits
    out.append(decertify(reg, "X", Timespan(t(2021), t(2024)), None))  # first, covered
    out.append(decertify(reg, "X", Timespan(t(2027), None), refs[:3]))  # some keys
    out.append(decertify(reg, "X", Timespan(None, t(2026)), None))  # second, covered
    out.append(decertify(reg, "X", Timespan(t(2010), t(2011)), None))  # nothing
    with reg.transaction():  # rows this change created, cut: nothing of them kept
        reg.certify("Y", refs, Timespan(t(2020), None))
        out.append(decertify(reg, "Y", Timespan(t(2021), t(2022)), None))
        out.append(decertify(reg, "Y", Timespan(t(2020), t(2021)), refs[:2]))
    reg.certify("Z", refs, Timespan(t(2020), None))
    with reg.transaction():  # rows of an earlier change updated, then cut
        reg.close_open_range("Z", TYPE, t(2025))
        out.append(decertify(reg, "Z", Timespan(t(2022), t(2023)), refs[4:]))
        out.append(decertify(reg, "Z", Timespan(t(2024), None), refs[6:]))
    reg.certify("Z", refs[6:], Timespan(t(2026), None))
    return out


def test_decertify_in_place_records_a_delete_and_inserts(sqlite_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    # Revision 0017: decertify shortens rows in place (UPDATE) and inserts only second
    # pieces; its history, versions, as-of answers and rows must be exactly those of the
    # delete and inserts it replaced, as the row triggers record them (both row counts of
    # the per-statement versions, so the small calls are covered too).
    other = tmp_path / "other.db"
    other.write_bytes(Path(sqlite_url.removeprefix("sqlite:///")).read_bytes())
    with calibcert.connect(f"sqlite:///{other}") as reg:
        expected_n = _cuts(reg, _raw_decertify)
        expected = _state(reg)
    for statement_versions in (1, 10**9):
        copy = tmp_path / f"in-place-{statement_versions}.db"
        copy.write_bytes(Path(sqlite_url.removeprefix("sqlite:///")).read_bytes())
        with monkeypatch.context() as m:
            m.setattr(versions, "STATEMENT_VERSIONS", statement_versions)
            with calibcert.connect(f"sqlite:///{copy}") as reg:
                got_n = _cuts(reg, lambda r, c, s, refs: r.decertify(
                    c, TYPE, s, None if refs is None else [x.data_id for x in refs]))
                got = _state(reg)
        assert got_n == expected_n
        assert got == expected
    rows, version_rows, _, history, _ = expected
    assert expected_n == [10, 10, 3, 15, 0, 10, 2, 6, 4]  # every kind of cut reached
    assert any(v[11] == "decertify" for v in version_rows)
    assert {h[2] for h in history} >= {"certify", "decertify", "close_open_range"}


@pytest.mark.parametrize("statement_versions", [1, 10**9], ids=["by_statement", "by_triggers"])
def test_close_open_range_refused_by_its_update_changes_nothing(
        sqlite_url: str, statement_versions: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """close_open_range no longer looks for a row beginning at or after ``end`` before its
    writes (revision 0018): its UPDATE is refused by certification_validity_bounds. The
    error is the same (the earliest such row, ties by data ID), and nothing of the call
    stays: not its version rows (by statement), nor the operation in change_context; the
    transaction's earlier work stays."""
    monkeypatch.setattr(versions, "STATEMENT_VERSIONS", statement_versions)
    with calibcert.connect(sqlite_url) as reg:
        reg.register_dataset_type(TYPE, ("instrument", "detector"))
        reg.register_collection("run1", CollectionType.RUN)
        refs = reg.insert_datasets(TYPE, "run1", [det(d) for d in DETECTORS])
        reg.register_collection("X", CollectionType.CALIBRATION)
        late = {3: t(2023), 7: t(2022), 8: t(2022)}  # 7 and 8 begin at the end given
        for d, ref in zip(DETECTORS, refs, strict=True):
            reg.certify("X", [ref], Timespan(late.get(d, t(2020)), None))
        conn = reg.connection

        def state() -> tuple[Any, ...]:
            return tuple([tuple(r) for r in conn.execute(f"SELECT * FROM {table}")]
                         for table in ("certification", "certification_version", "change",
                                       "change_context"))

        before = state()
        with reg.transaction():
            reg.register_collection("W", CollectionType.CALIBRATION)
            inside = state()
            with pytest.raises(InvalidTimespanError) as info:
                reg.close_open_range("X", TYPE, t(2022))
            assert state() == inside
        err = info.value
        assert (err.collection, err.data_id, err.dataset, err.timespan) == (
            "X", det(7), refs[6].id, Timespan(t(2022), None))
        assert state()[0] == before[0] and state()[1] == before[1]
        assert "W" in [c.name for c in reg.list_collections()]
        # Without the rows that begin too late, every other row is closed.
        assert reg.close_open_range("X", TYPE, t(2022),
                                    [det(d) for d in DETECTORS if d not in late]) == 7
