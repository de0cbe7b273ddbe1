"""Client batches larger than one chunk: a key repeated across the chunk boundary is still
caught, and nothing of the batch is written.

The PostgreSQL client sends a certify or insert_datasets batch in statements of at most
``calibcert.backends.postgres.CHUNK`` (50,000) items, inside one transaction
(PostgresRegistry._batch: "Chunks share one transaction: a conflict in any chunk undoes all
of them, and a key repeated across chunks still conflicts"; bench/README.md, item 6). Here
the first item of the first chunk and the only item of the second share a calibration key
(certify), a data ID (insert_datasets) or an id (insert_datasets with ids). Each test runs
on every ``backend`` (SQLite sends one statement, and must end the same), and
``test_postgresql_batches_really_cross_a_chunk`` proves the PostgreSQL calls are split.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from calibcert import Registry
from calibcert.backends import postgres
from calibcert.backends.postgres import CHUNK
from calibcert.errors import ConflictingCertificationError, ConflictingDefinitionError
from helpers import CALIB, RUN, RUN2, World, bias_id, make_world, ts

N = CHUNK + 1  # one full chunk, then one item


def _biases(reg: Registry, run: str, detectors: range) -> list[Any]:
    return reg.insert_datasets("bias", run, [bias_id(d) for d in detectors])


def test_certify_key_repeated_across_chunks_conflicts_and_stores_nothing(world: World) -> None:
    reg = world.reg
    first = _biases(reg, RUN, range(CHUNK))  # detectors 0 .. CHUNK-1: the first chunk
    (again,) = _biases(reg, RUN2, range(1))  # detector 0 again: the second chunk
    batch = [*first, again]
    assert len(batch) == N
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, batch, ts(2020, None))
    assert info.value.details["kind"] == "certification_conflict"
    # One conflict: the two items of detector 0 (which one is "conflicting" depends on
    # the chunking: see test_postgresql_chunked_certify_lists_the_conflict_as_one_call).
    (conflict,) = info.value.conflicts
    assert {conflict["dataset"], conflict["conflicting_dataset"]} == {first[0].id, again.id}
    assert conflict["data_id"] == bias_id(0)
    assert reg.certifications(CALIB) == []


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """The PostgreSQL client's chunk size made 3 (the same code, batches of a few items);
    SQLite sends one statement whatever it is."""
    monkeypatch.setattr(postgres, "CHUNK", 3)
    return 3


def test_insert_data_id_repeated_across_chunks_is_refused_whole(world: World,
                                                                small_chunks: int) -> None:
    reg = world.reg
    data_ids = [bias_id(d) for d in range(small_chunks)] + [bias_id(0)]
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.insert_datasets("bias", RUN, data_ids)
    assert info.value.sqlstate == "KC010"
    assert info.value.data_id == bias_id(0)
    assert reg.query_datasets(RUN, "bias") == []


def test_insert_id_repeated_across_chunks_is_refused_whole(world: World,
                                                           small_chunks: int) -> None:
    reg = world.reg
    ids = [uuid.uuid4() for _ in range(small_chunks)]
    data_ids = [bias_id(d) for d in range(small_chunks + 1)]
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.insert_datasets("bias", RUN, data_ids, ids=[*ids, ids[0]])
    assert info.value.sqlstate == "KC010"
    assert info.value.details["dataset"] == ids[0]
    assert reg.query_datasets(RUN, "bias") == []


def test_certify_in_small_chunks_conflicts_and_stores_nothing(world: World,
                                                             small_chunks: int) -> None:
    """As the full-size test, with the repeat in the last of several chunks, after close_open
    changed a stored row in the first: all of it is undone."""
    reg = world.reg
    old = world.bias(0, run=RUN2)
    reg.certify(CALIB, [old], ts(2010, None))
    before = reg.certifications(CALIB)
    first = _biases(reg, RUN, range(2 * small_chunks))
    again = world.bias(1, run=RUN2)
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, [*first, again], ts(2020, None), close_open=True)
    (conflict,) = info.value.conflicts
    assert {conflict["dataset"], conflict["conflicting_dataset"]} == {first[1].id, again.id}
    assert reg.certifications(CALIB) == before  # old's open end is back too


# -- PostgreSQL: the chunking never shows in the error ----------------------------------
# One statement (SQLite; PostgreSQL up to CHUNK items) reports a repeat inside the call as
# such. PostgreSQL's client stores the first chunk before it sends the second, where the
# same repeat would meet a stored row: on such a conflict it sends the call again as one
# statement (PostgresRegistry._batch), so the details are those of any call.

def test_postgresql_chunked_insert_names_a_repeated_data_id(pg_standalone_registry,
                                                            small_chunks: int) -> None:
    reg = pg_standalone_registry
    make_world(reg)
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.insert_datasets("bias", RUN, [bias_id(d) for d in range(small_chunks)]
                            + [bias_id(0)])
    assert info.value.details["kind"] == "data_id_repeated"


def test_postgresql_chunked_insert_names_a_repeated_id(pg_standalone_registry,
                                                       small_chunks: int) -> None:
    reg = pg_standalone_registry
    make_world(reg)
    ids = [uuid.uuid4() for _ in range(small_chunks)]
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.insert_datasets("bias", RUN, [bias_id(d) for d in range(small_chunks + 1)],
                            ids=[*ids, ids[0]])
    assert info.value.details["kind"] == "dataset_id_repeated"


def test_postgresql_chunked_certify_lists_the_conflict_as_one_call(pg_standalone_registry,
                                                                   small_chunks: int) -> None:
    reg = pg_standalone_registry
    make_world(reg)
    first = _biases(reg, RUN, range(small_chunks))
    (again,) = _biases(reg, RUN2, range(1))
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, [*first, again], ts(2020, None))
    # As one statement (and SQLite) lists it: the earlier item, then the later one.
    assert [(c["dataset"], c["conflicting_dataset"]) for c in info.value.conflicts] == [
        (first[0].id, again.id)]


def test_postgresql_batches_really_cross_a_chunk(pg_standalone_registry) -> None:
    """The calls above are split: certify and insert_datasets of N items send two
    statements (counted at the client's one statement runner for each)."""
    reg = pg_standalone_registry
    make_world(reg)
    sent: list[str] = []
    run, scalar = reg._run, reg._scalar

    def count_run(sql: str, params: dict[str, Any]) -> Any:
        sent.append(sql.split("(")[0])
        return run(sql, params)

    def count_scalar(sql: str, params: dict[str, Any]) -> Any:
        sent.append(sql.split("(")[0])
        reg._run = run  # inside a transaction _scalar goes through _run: count it once
        try:
            return scalar(sql, params)
        finally:
            reg._run = count_run

    reg._run, reg._scalar = count_run, count_scalar
    refs = reg.insert_datasets("bias", RUN, [bias_id(d) for d in range(N)])
    assert sent == ["SELECT dataset_id, data_id FROM calib.insert_datasets"] * 2
    sent.clear()
    assert reg.certify(CALIB, refs, ts(2020, None)) == N
    assert sent == ["SELECT calib.certify"] * 2
