"""find_many pauses Python's cyclic garbage collector while it builds its result
(registry._no_cyclic_gc) and always leaves it as it found it: on, off, or after an error."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from calibcert.errors import DataIdError
from helpers import CALIB, World, bias_id, t, ts


@pytest.fixture
def collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def watch_collector(world: World) -> list[bool]:
    """Whether the collector was on each time the backend's find_many primitive ran
    (_find_many_batch: on SQLite it calls _find_many, on PostgreSQL it is the call)."""
    seen: list[bool] = []
    inner = world.reg._find_many_batch

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return inner(*args, **kwargs)

    world.reg._find_many_batch = spy  # type: ignore[method-assign]
    return seen


def test_find_many_pauses_the_collector_and_restores_it(world: World, collector) -> None:
    (ref,) = world.biases(1)
    world.reg.certify(CALIB, [ref], ts(2020, None))
    seen = watch_collector(world)
    gc.enable()
    assert world.reg.find_many(CALIB, "bias", [(bias_id(1), t(2021))]) == [ref]
    assert seen == [False] and gc.isenabled()
    gc.disable()  # a caller's own choice is kept
    assert world.reg.find_many(CALIB, "bias", [(bias_id(1), t(2021))]) == [ref]
    assert seen == [False, False] and not gc.isenabled()


def test_the_collector_is_restored_after_an_error(world: World, collector) -> None:
    seen = watch_collector(world)
    gc.enable()
    with pytest.raises(DataIdError):  # a missing dimension: the backend's check, paused
        world.reg.find_many(CALIB, "bias", [({"instrument": "Cam"}, t(2021))])
    assert seen == [False] and gc.isenabled()
