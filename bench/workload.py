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
    "find": 10_000,         # single find round trips per repeat
    "find_small": 1_000,    # stored certifications, small lookup database
    "find_large": 1_000_000,  # stored certifications, large lookup database
    "find_many": 10_000,    # (data ID, time) pairs in one find_many call
    "memory": 1_000_000,    # datasets certified in one call by the RSS probe (--memory)
    "batch_calls": 300,     # at most this many calls per batch size and repeat (bench/batches.py)
    "batch_rows": 20_000,   # and about this many rows in all (at least one call)
    "certify200_calls": 20,  # 200-row certify calls at each stored size (scaling)
}
TINY_SIZES: dict[str, int] = {
    "find": 50, "find_small": 100, "find_large": 1_000, "find_many": 50, "memory": 2_000,
    "batch_calls": 2, "batch_rows": 400, "certify200_calls": 1,
}
#: Rows per call of the write operations (bench/batches.py); --batches overrides.
DEFAULT_BATCHES = (1, 10, 200, 2_000, 100_000)
TINY_BATCHES = (1, 200)
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

    def distinct_queries(self, n: int, salt: int = 0) -> list[tuple[int, datetime]]:
        """``n`` pairs (at most ``keys``) of distinct data IDs, each at an instant matching
        exactly one certification: a batch of the same shape at every stored size."""
        rng = random.Random(SEED + salt)
        return [(k, epoch(rng.randrange(self.epochs))
                 + timedelta(microseconds=rng.randrange(86_400_000_000)))
                for k in rng.sample(range(self.keys), min(n, self.keys))]

    def queries(self, n: int, salt: int = 0) -> list[tuple[int, datetime]]:
        """``n`` (key index, instant) pairs, each matching exactly one certification."""
        rng = random.Random(SEED + salt)
        out = []
        for _ in range(n):
            k = rng.randrange(self.keys)
            j = rng.randrange(self.epochs)
            out.append((k, epoch(j) + timedelta(microseconds=rng.randrange(86_400_000_000))))
        return out
