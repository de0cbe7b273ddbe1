"""What the benchmark stores and asks: data IDs, epochs, collections, lookups.

One calibration dataset type ``bias`` with dimensions ``(instrument, detector)``; data ID k is
``{"instrument": "Cam", "detector": k}``, and the floor tables use k + 1 as its key. Epoch j
is the day ``BASE + j days``. Everything is deterministic (seeded) so that runs compare.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

BASE = datetime(2020, 1, 1, tzinfo=timezone.utc)
DATASET_TYPE = "bias"
DIMENSIONS = ("instrument", "detector")
TYPE_ID = 1  # the floor's dataset type id
SEED = 20240501

#: Default sizes (the issue's); ``--sizes tiny`` is the smoke run of the test suite.
DEFAULT_SIZES: dict[str, int] = {
    "bulk": 100_000,        # datasets in one certify call
    "one": 1_000,           # certify calls of one dataset each
    "series": 100_000,      # (dataset, begin) pairs in one certify_series call
    "decertify": 10_000,    # certifications split or truncated by one decertify
    "close": 10_000,        # open certifications closed by one close_open_range
    "copy": 100_000,        # certifications copied by one copy_collection
    "find": 10_000,         # single find round trips per repeat
    "find_small": 1_000,    # stored certifications, small lookup database
    "find_large": 1_000_000,  # stored certifications, large lookup database
    "find_many": 10_000,    # (data ID, time) pairs in one find_many call
    "memory": 1_000_000,    # datasets certified in one call by the RSS probe (--memory)
}
TINY_SIZES: dict[str, int] = {
    "bulk": 200, "one": 20, "series": 200, "decertify": 40, "close": 40, "copy": 200,
    "find": 50, "find_small": 100, "find_large": 1_000, "find_many": 50, "memory": 2_000,
}
#: Begins per calibration key in the certify_series operation.
SERIES_EPOCHS = 10


def epoch(j: float) -> datetime:
    return BASE + timedelta(days=j)


def data_id(k: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": k}


def floor_key(k: int) -> int:
    return k + 1


def parse_sizes(text: str | None) -> dict[str, int]:
    """``tiny``, or ``name=value,...`` overriding the defaults (values may use 1e5)."""
    sizes = dict(DEFAULT_SIZES)
    if not text:
        return sizes
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part == "tiny":
            sizes.update(TINY_SIZES)
            continue
        name, _, value = part.partition("=")
        if name not in sizes or not value:
            raise SystemExit(f"unknown size {part!r}; known: tiny, {', '.join(sizes)}")
        sizes[name] = int(float(value))
    return sizes


@dataclass(frozen=True)
class LookupLayout:
    """A lookup database: ``keys`` data IDs, each certified over ``epochs`` consecutive
    days (the last one open-ended), so ``keys * epochs`` certifications in total."""

    keys: int
    epochs: int

    @classmethod
    def for_size(cls, n: int) -> LookupLayout:
        epochs = min(100, max(1, n // 100))
        return cls(keys=max(1, n // epochs), epochs=epochs)

    @property
    def total(self) -> int:
        return self.keys * self.epochs

    def queries(self, n: int, salt: int = 0) -> list[tuple[int, datetime]]:
        """``n`` (key index, instant) pairs, each matching exactly one certification."""
        rng = random.Random(SEED + salt)
        out = []
        for _ in range(n):
            k = rng.randrange(self.keys)
            j = rng.randrange(self.epochs)
            out.append((k, epoch(j) + timedelta(microseconds=rng.randrange(86_400_000_000))))
        return out
