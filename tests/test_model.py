"""Model-based test: random operation sequences against the reference model and every real
backend at once (hypothesis stateful testing).

Each step draws one operation (or a few inside ``transaction()``) over a deliberately tiny
world, so that collisions are frequent: two or three detectors, a calibration and a
non-calibration dataset type (a third type that may or may not exist), five instants on a
one-day grid plus None, CALIBRATION / RUN / TAGGED / CHAINED collections from a pool of
nine names (some start unregistered). The operation runs on ``tests/model.py`` and on each
backend; all must return the same value (refs compared by id, type, data ID and run) or
raise the same ``calibcert.errors`` class (with the same conflicting calibration keys, or
the same deciding collection). After every step the whole visible state must agree, and no
two certifications of one calibration key may overlap.

History (issue 16 item 9): after every step each backend that keeps history reports its
current epoch, and the model's answers to the state reads are remembered with it; at the
end of the example every remembered epoch is read back **as of** that epoch on that backend
and must equal what the model held then (certifications through chains, chains, lookups).
An epoch that did not move while the model's state did is a change that escaped the ledger.

Default run is short (CI). Long run::

    CALIBCERT_MODEL_EXAMPLES=2000 CALIBCERT_MODEL_STEPS=60 python -m pytest tests/test_model.py -q
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import calibcert
from calibcert import errors
from calibcert.registry import Registry
from calibcert.types import Certification, CollectionInfo, DatasetRef, Timespan
from model import Model, freeze, overlaps
from model_revert import Ledger

EXAMPLES = int(os.environ.get("CALIBCERT_MODEL_EXAMPLES", "60"))
#: Reverts of random earlier changes at the end of each example (besides the revert rules).
REVERTS_AT_THE_END = 1
STEPS = int(os.environ.get("CALIBCERT_MODEL_STEPS", "25"))

#: The real backends driven next to the model (a comma-separated subset for debugging).
BACKENDS = tuple(os.environ.get("CALIBCERT_MODEL_BACKENDS", "postgresql,sqlite").split(","))

# -- the tiny world -----------------------------------------------------------------------

UTC = timezone.utc
GRID = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=k) for k in range(5)]
#: Lookup instants: grid points (span edges), midpoints, and one before everything.
INSTANTS = GRID + [t + timedelta(hours=12) for t in GRID] + [GRID[0] - timedelta(days=1)]
DETECTORS = (1, 2, 3)

RUNS = ("run1", "run2")
TAGGEDS = ("tagged", "tagged2")
CALIBS = ("calibA", "calibB", "calibC")
CHAINS = ("chain", "chain2")
POOL = RUNS + TAGGEDS + CALIBS + CHAINS
COLLECTION_TYPES = ("RUN", "TAGGED", "CALIBRATION", "CHAINED")

DIMS = ("instrument", "detector")
DATASET_TYPES = ("bias", "raw", "flat")
#: Definitions a register_dataset_type step may try (same as stored, or conflicting).
DEFINITIONS = (
    (DIMS, True), (DIMS, False), (("detector", "instrument"), True), (("detector",), True))
MISSING_ID = uuid.UUID(int=999_999)


def data_id(detector: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": detector}


#: Mostly well-formed data IDs, sometimes one with a missing key (DataIdError).
DATA_IDS = st.sampled_from([data_id(d) for d in DETECTORS] * 4 + [{"detector": 1}])


def _fmt(value: Any) -> str:
    """Short, readable argument text for the printed failing sequence."""
    if isinstance(value, uuid.UUID):
        return "MISSING" if value == MISSING_ID else f"D{value.int}"
    if isinstance(value, datetime):
        return f"t{(value - GRID[0]) / timedelta(hours=1):+g}h"
    if isinstance(value, Timespan):
        b = "-inf" if value.begin is None else _fmt(value.begin)
        e = "+inf" if value.end is None else _fmt(value.end)
        return f"[{b}, {e})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_fmt(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    return repr(value)


@dataclass(frozen=True)
class Op:
    """One API call, applied identically to the model and to each registry."""

    method: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()

    def __call__(self, target: Any) -> Any:
        return getattr(target, self.method)(*self.args, **dict(self.kwargs))

    def __repr__(self) -> str:
        parts = [_fmt(a) for a in self.args] + [f"{k}={_fmt(v)}" for k, v in self.kwargs]
        return f"{self.method}({', '.join(parts)})"


# -- operations that do not depend on the state ------------------------------------------


def named(preferred: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Mostly a name of the expected kind, sometimes any name of the pool."""
    return st.sampled_from(preferred * 8 + POOL)


TIMESPANS = st.tuples(st.sampled_from([None, *GRID]), st.sampled_from([*GRID, None])).filter(
    lambda p: p[0] is None or p[1] is None or p[0] < p[1]).map(lambda p: Timespan(*p))
#: find's ``at``: an instant, a timespan or None.
AT = st.one_of(st.sampled_from(INSTANTS), TIMESPANS, TIMESPANS, st.none())
BEGINS = st.sampled_from([None, *GRID])
DTYPE = st.sampled_from(("bias",) * 3 + DATASET_TYPES)
DATA_ID_FILTER = st.one_of(st.none(), st.lists(DATA_IDS, max_size=2))

STATIC_OPS: dict[str, st.SearchStrategy[Op]] = {
    "register_collection": st.builds(
        lambda n, t: Op("register_collection", (n, t)),
        st.sampled_from(POOL), st.sampled_from(COLLECTION_TYPES)),
    "register_dataset_type": st.builds(
        lambda n, d: Op("register_dataset_type", (n, *d)),
        st.sampled_from(DATASET_TYPES), st.sampled_from(DEFINITIONS)),
    "decertify": st.builds(
        lambda c, t, s, d: Op("decertify", (c, t, s), (("data_ids", d),)),
        named(CALIBS), DTYPE, TIMESPANS, DATA_ID_FILTER),
    "close_open_range": st.builds(
        lambda c, t, e, d: Op("close_open_range", (c, t, e), (("data_ids", d),)),
        named(CALIBS), DTYPE, st.sampled_from(GRID), DATA_ID_FILTER),
    "copy_collection": st.builds(
        lambda s, d: Op("copy_collection", (s, d)),
        named(CALIBS + TAGGEDS + CHAINS), named(("calibC", "tagged2", "chain2"))),
    "set_chain": st.builds(
        lambda p, c: Op("set_chain", (p, c)),
        named(CHAINS), st.lists(st.sampled_from(POOL), max_size=3)),
    "remove_collection": st.builds(
        lambda n: Op("remove_collection", (n,)), st.sampled_from(POOL)),
    "find": st.builds(
        lambda c, t, d, a: Op("find", (c, t, d, a)),
        named(CALIBS + CHAINS), DTYPE, DATA_IDS, AT),
    "find_many": st.builds(
        lambda c, t, q: Op("find_many", (c, t, q)),
        named(CALIBS + CHAINS), DTYPE, st.lists(st.tuples(DATA_IDS, AT), min_size=1, max_size=4)),
    "certifications": st.builds(
        lambda c, t: Op("certifications", (c, t)),
        st.sampled_from(POOL), st.one_of(st.none(), DTYPE)),
}
#: Every kind of operation (the state-dependent ones are built in CalibMachine.strategy).
KINDS = sorted([*STATIC_OPS, "insert_datasets", "tag", "untag", "certify", "certify_series"])


# -- outcomes -------------------------------------------------------------------------------


def _cert_row(c: Certification) -> tuple[Any, ...]:
    return (c.collection, c.ref.id, c.ref.dataset_type, freeze(c.ref.data_id), c.ref.run,
            c.timespan.begin, c.timespan.end)


def normalize(result: Any) -> Any:
    """A comparable value: refs by (id, type, data ID, run); certification lists sorted."""
    if isinstance(result, DatasetRef):
        return ("ref", result.id, result.dataset_type, freeze(result.data_id), result.run)
    if isinstance(result, CollectionInfo):
        return (result.name, str(result.type))
    if isinstance(result, list):
        if result and all(isinstance(r, Certification) for r in result):
            return sorted(map(_cert_row, result), key=repr)
        return [normalize(r) for r in result]
    return result


def error_outcome(exc: errors.CalibCertError) -> tuple[Any, ...]:
    """The part of an error every implementation must agree on."""
    if isinstance(exc, errors.ConflictingCertificationError):
        keys = {(c["dataset_type"], freeze(c["data_id"])) for c in exc.conflicts}
        return (type(exc).__name__, frozenset(keys))
    if isinstance(exc, errors.CalibrationLookupError):
        return (type(exc).__name__, exc.details.get("collection"))
    return (type(exc).__name__,)


def outcome(op: Op, target: Any) -> tuple[Any, ...]:
    try:
        return ("ok", normalize(op(target)))
    except errors.CalibCertError as exc:
        return ("error", *error_outcome(exc))


def revert_outcome(reg: Registry, epoch: int, dry_run: bool) -> tuple[Any, ...]:
    """What a revert did: its actions as sorted (action, collection) pairs, or its error's
    class and kind."""
    try:
        rows = reg.revert(epoch, dry_run=dry_run)
    except errors.CalibCertError as exc:
        return ("error", type(exc).__name__, exc.details.get("kind"))
    return ("ok", sorted((r.action, r.collection) for r in rows))


class Rollback(Exception):
    """Raised at the end of a transaction block to undo it."""


# -- backends -------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    reg: Registry
    close: Callable[[], None] = field(default=lambda: None)


#: Opens an empty backend for one hypothesis example.
Opener = Callable[[], Backend]


class CalibMachine(RuleBasedStateMachine):
    """Model + real backends in lockstep. Subclassed per test with the backends' openers."""

    openers: list[Opener] = []

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.backends = [open_() for open_ in self.openers]
        self.next_id = 1
        #: (epoch per backend that keeps history, the model's answers to state_reads then)
        self.past: list[tuple[dict[str, int], list[tuple[Op, tuple[Any, ...]]]]] = []
        #: the model's content after every step, for revert (tests/model_revert.py)
        self.ledger = Ledger()

    def teardown(self) -> None:
        try:
            if self.ledger.records:
                self.revert_at_the_end()
            self.check_the_past()
        finally:
            for b in self.backends:
                b.close()

    # -- running one operation everywhere ------------------------------------------------

    def run(self, op: Op, quiet: bool = False) -> tuple[Any, ...]:
        if not quiet:
            note(repr(op))  # the failing sequence is printed as readable calls
        expected = outcome(op, self.model)
        for b in self.backends:
            got = outcome(op, b.reg)
            assert got == expected, f"{op!r}: model {expected}, {b.name} {got}"
        return expected

    def query(self, op: Op) -> Any:
        """A read used by the invariants: must succeed everywhere with equal results."""
        result = self.run(op, quiet=True)
        assert result[0] == "ok", f"{op!r} failed: {result}"
        return result[1]

    # -- strategies built from the current state -----------------------------------------

    def _datasets(self, calibration_bias: bool = False) -> st.SearchStrategy[uuid.UUID]:
        ids = sorted(self.model.datasets, key=lambda i: i.int)
        anything = st.sampled_from(ids + [MISSING_ID])
        cal = [i for i in ids if self.model.datasets[i].dataset_type == "bias"]
        if calibration_bias and cal:
            return st.one_of(st.sampled_from(cal), anything)
        return anything

    def _fresh_ids(self, n: int) -> list[uuid.UUID]:
        ids = [uuid.UUID(int=self.next_id + k) for k in range(n)]
        self.next_id += n
        return ids

    def strategy(self, kind: str) -> st.SearchStrategy[Op]:
        """Operations of one kind, drawing datasets from the current state."""
        if kind in STATIC_OPS:
            return STATIC_OPS[kind]
        if kind == "insert_datasets":
            return st.tuples(DTYPE, named(RUNS), st.lists(DATA_IDS, max_size=3),
                             st.sampled_from([False] * 9 + [True])).map(self._insert)
        dsets = self._datasets()
        cal_dsets = self._datasets(calibration_bias=True)
        if kind in ("tag", "untag"):
            return st.builds(lambda c, d: Op(kind, (c, d)),
                             named(TAGGEDS), st.lists(dsets, max_size=3))
        if kind == "certify":
            return st.builds(
                lambda c, d, s, o: Op("certify", (c, d, s), (("close_open", o),)),
                named(CALIBS), st.lists(cal_dsets, max_size=3), TIMESPANS, st.booleans())
        assert kind == "certify_series", kind
        return st.builds(
            lambda c, items, o: Op("certify_series", (c, items), (("close_open", o),)),
            named(CALIBS), st.lists(st.tuples(cal_dsets, BEGINS), max_size=4), st.booleans())

    def _insert(self, args: tuple[str, str, list[dict[str, Any]], bool]) -> Op:
        dataset_type, run, data_ids, reuse = args
        ids = self._fresh_ids(len(data_ids))
        if reuse and ids and self.model.datasets:  # an id that is taken already
            ids[0] = min(self.model.datasets, key=lambda i: i.int)
        return Op("insert_datasets", (dataset_type, run, data_ids), (("ids", ids),))

    def draw_op(self, data: st.DataObject, kind: str | None = None) -> Op:
        if kind is None:
            kind = data.draw(st.sampled_from(KINDS), label="kind")
        return data.draw(self.strategy(kind), label="op")

    # -- the world every example starts from ---------------------------------------------

    @initialize()
    def world(self) -> None:
        for op in (
            Op("register_dataset_type", ("bias", DIMS, True)),
            Op("register_dataset_type", ("raw", DIMS, False)),
            Op("register_collection", ("run1", "RUN")),
            Op("register_collection", ("run2", "RUN")),
            Op("register_collection", ("tagged", "TAGGED")),
            Op("register_collection", ("calibA", "CALIBRATION")),
            Op("register_collection", ("calibB", "CALIBRATION")),
            Op("register_collection", ("chain", "CHAINED")),
            Op("register_collection", ("chain2", "CHAINED")),
            # Nested, with calibB twice: the search path is calibA, calibB, run1.
            Op("set_chain", ("chain2", ["calibB", "run1"])),
            Op("set_chain", ("chain", ["calibA", "chain2", "calibB"])),
            Op("insert_datasets", ("bias", "run1", [data_id(d) for d in DETECTORS]),
               (("ids", self._fresh_ids(len(DETECTORS))),)),
            Op("insert_datasets", ("bias", "run2", [data_id(1)]), (("ids", self._fresh_ids(1)),)),
            Op("insert_datasets", ("raw", "run1", [data_id(1), data_id(2)]),
               (("ids", self._fresh_ids(2)),)),
            # D1..D3: bias detectors 1-3 in run1; D4: bias detector 1 in run2.
            Op("certify", ("calibA", [uuid.UUID(int=1), uuid.UUID(int=2)],
                           Timespan(GRID[1], GRID[3]))),
            Op("certify_series", ("calibB", [(uuid.UUID(int=1), None), (uuid.UUID(int=4), GRID[2]),
                                             (uuid.UUID(int=3), GRID[1])])),
        ):
            assert self.run(op)[0] == "ok", op

    # -- rules ----------------------------------------------------------------------------
    # Certification operations get their own rules so that they are drawn more often.

    @rule(data=st.data())
    def any_operation(self, data: st.DataObject) -> None:
        self.run(self.draw_op(data))

    @rule(data=st.data())
    def certify(self, data: st.DataObject) -> None:
        self.run(self.draw_op(data, "certify"))

    @rule(data=st.data())
    def certify_series(self, data: st.DataObject) -> None:
        self.run(self.draw_op(data, "certify_series"))

    @rule(data=st.data())
    def decertify_or_close(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(["decertify", "close_open_range"]), label="kind")
        self.run(self.draw_op(data, kind))

    @rule(data=st.data())
    def insert_datasets(self, data: st.DataObject) -> None:
        self.run(self.draw_op(data, "insert_datasets"))

    @rule(data=st.data())
    def collections(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(
            ["tag", "untag", "copy_collection", "set_chain", "remove_collection"]), label="kind")
        self.run(self.draw_op(data, kind))

    @rule(data=st.data())
    def find_many(self, data: st.DataObject) -> None:
        self.run(self.draw_op(data, "find_many"))

    @rule(collection=named(("calibA", "calibB", "chain")), at=AT)
    def find_every_detector(self, collection: str, at: Any) -> None:
        """Every bias key at one time: often ambiguous when ``at`` is a timespan."""
        self.run(Op("find_many", (collection, "bias", [(data_id(d), at) for d in DETECTORS])))

    @rule(data=st.data())
    def lookup(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(["find", "find_many"]), label="kind")
        self.run(self.draw_op(data, kind))

    @rule(data=st.data(), commit=st.booleans())
    def transaction(self, data: st.DataObject, commit: bool) -> None:
        """A few operations in one ``transaction()``; unless ``commit``, the block raises
        at the end and everything in it must be undone (the model discards it too)."""
        n = data.draw(st.integers(1, 4), label="operations")
        note("with transaction():")
        with contextlib.suppress(Rollback), contextlib.ExitStack() as stack:
            stack.enter_context(self.model.transaction())
            for b in self.backends:
                stack.enter_context(b.reg.transaction())
            for _ in range(n):
                self.run(self.draw_op(data))
            note("    commit" if commit else "    raise: roll back")
            if not commit:
                raise Rollback

    @precondition(lambda self: bool(self.ledger.revertible()))
    @rule(data=st.data())
    def revert(self, data: st.DataObject) -> None:
        """Revert the change of an earlier step (also a revert's): the model's ledger
        predicts the content after it, or the conflict (tests/model_revert.py), and every
        backend must do exactly that; a dry run must answer the same and change nothing."""
        step = data.draw(st.sampled_from(self.ledger.revertible()), label="step")
        self.check_revert(step, data.draw(st.sampled_from([False, False, True]),
                                          label="dry_run"))

    def check_revert(self, step: int, dry_run: bool) -> None:
        epochs = self.ledger.records[step][0]
        note(f"revert(epoch of step {step}: {epochs}, dry_run={dry_run})")
        expected, after = self.ledger.predict(step, self.model)
        event(f"revert: {expected[0]} {expected[-1] if expected[0] == 'error' else ''}")
        for b in self.backends:
            got = revert_outcome(b.reg, epochs[b.name], dry_run)
            assert got == expected, f"revert of step {step}: model {expected}, {b.name} {got}"
        if after is not None and not dry_run:
            self.model = after

    def revert_at_the_end(self) -> None:
        """After the random operations: reverts of earlier changes (REVERTS_AT_THE_END),
        chosen by a generator seeded from the example (its epochs), each checked as the
        rule does, then the state and the history as after any step."""
        rng = random.Random(repr([r[0] for r in self.ledger.records]))
        for _ in range(REVERTS_AT_THE_END):
            steps = self.ledger.revertible()
            if not steps:
                return
            self.check_revert(rng.choice(steps), False)
            self.same_state()
            self.remember_the_present()

    # -- invariants -----------------------------------------------------------------------

    def state_reads(self) -> list[Op]:
        """The reads that show the whole visible state: certifications of every CALIBRATION
        and CHAINED collection (directly and through chains), every chain, what every RUN /
        TAGGED collection holds, and lookups of every detector at a few instants."""
        ops = []
        for name, ctype in sorted(self.model.collections.items()):
            if ctype in ("CALIBRATION", "CHAINED"):
                ops.append(Op("certifications", (name,)))
            if ctype == "CHAINED":
                ops.append(Op("get_chain", (name,)))
            for t, (dims, _) in sorted(self.model.dataset_types.items()):
                at = [None] if ctype in ("TAGGED", "RUN") else GRID[::2]
                queries = [({k: (d if k == "detector" else "Cam") for k in dims}, a)
                           for d in DETECTORS for a in at]
                ops.append(Op("find_many", (name, t, queries)))
        return ops

    @invariant()
    def same_state(self) -> None:
        """Collections, certifications (direct and through chains), chains, and what every
        RUN / TAGGED collection holds agree everywhere; no calibration key overlaps."""
        self.query(Op("list_collections", ()))
        for op in self.state_reads():
            rows = self.query(op)
            if op.method == "certifications" and \
                    self.model.collections[op.args[0]] == "CALIBRATION":
                check_no_overlap(op.args[0], rows)

    @invariant()
    def remember_the_present(self) -> None:
        """Each history-keeping backend's epoch now, with the model's answers now."""
        epochs = {}
        for b in self.backends:
            try:
                epochs[b.name] = b.reg.current_epoch()
            except errors.InvalidArgumentError:  # a backend without history (yet)
                continue
        if not epochs:
            return
        self.ledger.record(epochs, self.model)
        state = [(op, outcome(op, self.model)) for op in self.state_reads()]
        if self.past:
            last_epochs, last_state = self.past[-1]
            for name, epoch in epochs.items():
                assert epoch >= last_epochs[name], f"{name}: epoch went back"
                if epoch == last_epochs[name]:
                    # Dataset types have no history (they are never removed): a new one
                    # only adds reads, all empty. Every earlier read must answer the same.
                    now = {repr(op): result for op, result in state}
                    changed = [op for op, result in last_state if now.get(repr(op)) != result]
                    assert not changed, (
                        f"{name}: {changed[0]!r} changed, epoch {epoch} did not move")
        self.past.append((epochs, state))

    def check_the_past(self) -> None:
        """Every remembered epoch, read back as of it, answers what the model held then."""
        for epochs, state in self.past:
            for b in self.backends:
                if b.name not in epochs:
                    continue
                for op, expected in state:
                    past = Op(op.method, op.args, (*op.kwargs, ("as_of", epochs[b.name])))
                    got = outcome(past, b.reg)
                    assert got == expected, f"{past!r}: model then {expected}, {b.name} {got}"


def check_no_overlap(collection: str, rows: list[tuple[Any, ...]]) -> None:
    """``rows`` are normalised certifications (collection, id, type, data ID, run, begin,
    end), equal on every backend by then."""
    for i, x in enumerate(rows):
        for y in rows[i + 1:]:
            assert not (x[2:4] == y[2:4] and overlaps(x[5], x[6], y[5], y[6])), (
                f"{collection}: overlapping certifications {x} and {y}")


# -- backends for one test function ---------------------------------------------------------

TABLES = ("calib.certification, calib.tag, calib.collection_chain, calib.dataset, "
          "calib.data_id, calib.dataset_type, calib.collection, calib.certification_version, "
          "calib.collection_version, calib.chain_version, calib.tag_version, "
          "calib.dataset_version, calib.change")


@pytest.fixture
def postgresql_opener(pg_url: str) -> Iterator[Opener]:
    """One database for the test function; every example starts from TRUNCATEd tables,
    its history included, at epoch 0 (a separate connection does it, with no trigger
    firing; the registry's autocommit connection is idle then)."""
    reg = calibcert.connect(pg_url)
    admin = psycopg.connect(pg_url, autocommit=True)
    admin.execute("SET session_replication_role = replica")

    def open_() -> Backend:
        admin.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
        admin.execute("SELECT pg_catalog.setval('calib.epoch_seq', 1, false)")
        return Backend("postgresql", reg)

    try:
        yield open_
    finally:
        admin.close()
        reg.close()


@pytest.fixture
def sqlite_opener(sqlite_template: str, tmp_path) -> Opener:
    """A fresh copy of the migrated template file for every example."""
    counter = iter(range(10**9))

    def open_() -> Backend:
        path = tmp_path / f"example{next(counter)}.db"
        shutil.copyfile(sqlite_template, path)
        reg = calibcert.connect(f"sqlite:///{path}")

        def close() -> None:
            reg.close()
            path.unlink()

        return Backend("sqlite", reg, close)

    return open_


def test_model(request: pytest.FixtureRequest) -> None:
    """Model, PostgreSQL and SQLite agree on every step of random operation sequences."""
    openers = [request.getfixturevalue(f"{name}_opener") for name in BACKENDS]
    machine = type("Machine", (CalibMachine,), {"openers": openers})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                   HealthCheck.data_too_large],
        ),
    )
