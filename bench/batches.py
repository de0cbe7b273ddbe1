"""The write operations at every batch size (issue 17 items 1 and 2).

certify, certify_series, decertify, close_open_range and copy_collection, each at ``batches``
rows per call (default 1, 10, 200, 2,000 and 10^5), through the client and through the
floor (bench/floor.py) in the same repeat, alternating which goes first. Every call is its
own transaction (the client outside any transaction; the floor in autocommit or its own
``BEGIN IMMEDIATE``), so each pays its commit: with the durability the server runs with.

A batch size b runs ``calls(b)`` calls (at most ``batch_calls``, and about ``batch_rows``
rows in all), each on rows of its own:
- certify: b datasets not yet certified in the collection, one timespan.
- certify_series: b (dataset, begin) pairs, ``SERIES_EPOCHS`` begins per dataset (b < 10:
  one dataset, b begins).
- decertify: a collection holding b certifications [e0, e4) per call; the call cuts [e1, e2)
  out of every one (b splits).
- close_open_range: a collection holding b open certifications per call; the call closes
  them all at e1.
- copy_collection: a source of b certifications, copied into a new collection per call.
Setup (collections, the certifications to cut, close or copy) is not timed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from calibcert import CollectionType, Timespan
from workload import DATASET_TYPE, SERIES_EPOCHS, TYPE_ID, epoch

OPERATIONS = ("certify", "certify_series", "decertify", "close_open_range", "copy_collection")


def calls(sizes: dict[str, int], b: int) -> int:
    return max(1, min(sizes["batch_calls"], sizes["batch_rows"] // b))


def datasets_needed(sizes: dict[str, int], batches: list[int]) -> int:
    return max(b * calls(sizes, b) for b in batches)


def target(op: str, b: int) -> float:
    """Issue 17 item 2: >= 0.6 of the floor at 200 rows per call and more, >= 0.5 at 1 and
    10; decertify and close_open_range >= 0.6 at every size."""
    if op in ("decertify", "close_open_range") or b >= 200:
        return 0.6
    return 0.5


def run_batches(suite: Any, reg: Any, floor: Any, refs: list[Any], keys: list[int],
                ids: list[Any], batches: list[int]) -> None:
    first = Timespan(epoch(0), epoch(1))
    long, cut = Timespan(epoch(0), epoch(4)), Timespan(epoch(1), epoch(2))
    serial = iter(range(10**9))

    def calib(prefix: str) -> str:
        name = f"{prefix}/{next(serial)}"
        reg.register_collection(name, CollectionType.CALIBRATION)
        return name

    def measure(op: str, b: int, setup: Callable[[int], tuple[Callable[[], Any],
                                                             Callable[[], Any]]]) -> None:
        n = calls(suite.sizes, b)
        ours, flo = [], []
        for r in range(suite.repeats):
            pairs = [setup(i) for i in range(n)]
            to, tf, _, _ = suite.pair(r, lambda p=pairs: [o() for o, _ in p],
                                      lambda p=pairs: [f() for _, f in p])
            ours.append(n * b / to)
            flo.append(n * b / tf)
        res = suite.add(f"{op} ×{b:,}/call", b, "rows/s", ours, flo, note=f"{n} calls")
        res.target = target(op, b)

    for b in batches:
        # certify: call i certifies datasets [i*b, (i+1)*b) into one collection
        state: dict[str, Any] = {}

        def certify_setup(i: int, b: int = b, state: dict[str, Any] = state) -> tuple[Any, Any]:
            if i == 0:
                state["c"], state["fc"] = calib("certify"), suite.next_floor_coll()
            c, fc, lo, hi = state["c"], state["fc"], i * b, (i + 1) * b
            if b == 1:
                return ((lambda: reg.certify(c, refs[lo:hi], first)),
                        (lambda: floor.one(fc, TYPE_ID, keys[lo], ids[lo], first.begin,
                                           first.end)))
            return ((lambda: reg.certify(c, refs[lo:hi], first)),
                    (lambda: floor.bulk(fc, TYPE_ID, keys[lo:hi], ids[lo:hi], first.begin,
                                        first.end)))
        measure("certify", b, certify_setup)

        # certify_series: b (dataset, begin) pairs per call
        per_key = min(SERIES_EPOCHS, b)
        nkeys = max(1, b // per_key)

        def series_setup(i: int, state: dict[str, Any] = state, nkeys: int = nkeys,
                         per_key: int = per_key) -> tuple[Any, Any]:
            if i == 0:
                state["c"], state["fc"] = calib("series"), suite.next_floor_coll()
            c, fc = state["c"], state["fc"]
            ks = range(i * nkeys, (i + 1) * nkeys)
            items = [(refs[k], epoch(j)) for j in range(per_key) for k in ks]
            fk = [keys[k] for j in range(per_key) for k in ks]
            fi = [ids[k] for j in range(per_key) for k in ks]
            fb = [epoch(j) for j in range(per_key) for k in ks]
            return ((lambda: reg.certify_series(c, items)),
                    (lambda: floor.series(fc, TYPE_ID, fk, fi, fb)))
        measure("certify_series", b, series_setup)

        # decertify: each call splits the b certifications of its own collection
        def decertify_setup(i: int, b: int = b) -> tuple[Any, Any]:
            c, fc = calib("decertify"), suite.next_floor_coll()
            reg.certify(c, refs[:b], long)
            floor.bulk(fc, TYPE_ID, keys[:b], ids[:b], long.begin, long.end)

            def ours() -> None:
                assert reg.decertify(c, DATASET_TYPE, cut) == b

            def bare() -> None:
                assert floor.decertify(fc, TYPE_ID, cut.begin, cut.end) == b
            return ours, bare
        measure("decertify", b, decertify_setup)

        # close_open_range: each call closes the b open certifications of its collection
        def close_setup(i: int, b: int = b) -> tuple[Any, Any]:
            c, fc = calib("close"), suite.next_floor_coll()
            reg.certify(c, refs[:b], Timespan(epoch(0), None))
            floor.bulk(fc, TYPE_ID, keys[:b], ids[:b], epoch(0), None)

            def ours() -> None:
                assert reg.close_open_range(c, DATASET_TYPE, epoch(1)) == b

            def bare() -> None:
                assert floor.close_open(fc, TYPE_ID, epoch(1)) == b
            return ours, bare
        measure("close_open_range", b, close_setup)

        # copy_collection: a source of b certifications, one new copy per call
        src, fsrc = calib("copy-source"), suite.next_floor_coll()
        reg.certify(src, refs[:b], first)
        floor.bulk(fsrc, TYPE_ID, keys[:b], ids[:b], first.begin, first.end)

        def copy_setup(i: int, src: str = src, fsrc: int = fsrc) -> tuple[Any, Any]:
            dst, fdst = f"copy/{next(serial)}", suite.next_floor_coll()
            return ((lambda: reg.copy_collection(src, dst)),
                    (lambda: floor.copy(fsrc, fdst)))
        measure("copy_collection", b, copy_setup)
