"""The Rubin Butler's calibration workload, as both sides of bench/butler.py run it.

Standard library only: bench/butler.py (calibcert's interpreter) and bench/butler_side.py
(the Butler's virtual environment) both import it, so that the two systems certify the same
spans and answer the same questions.

The workload (issue 17, item 4), for ``detectors`` = 200 and ``epochs`` = 50:

- ``certify``: one call per epoch j < epochs certifying the 200 datasets of that epoch over
  [day j, day j+1);
- ``single certify``: epoch ``epochs`` certified one dataset per call (200 calls);
- ``point lookup`` / ``chain lookup``: ``lookups`` (detector, instant) questions, seeded, at
  instants strictly inside an epoch, asked of the CALIBRATION collection directly and through
  a 3-level chain (``chain/3`` -> ``chain/2`` -> ``chain/1`` -> ``calib``);
- ``decertify``: one call removing [day D + 0.25, day D + 0.75) for D = epochs // 2, which
  splits the 200 ranges of that epoch in two; made ``decertifies`` times (default 3) on the
  epochs D, D + 1, ..., each call alike, because one sample of a call is too noisy on a
  loaded machine.

Times are UTC here; the Butler side converts them to TAI astropy Times (its own scale).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

BASE = datetime(2024, 1, 1, tzinfo=timezone.utc)
INSTRUMENT = "Cam"
DATASET_TYPE = "bias"
DIMENSIONS = ("instrument", "detector")
SEED = 20241117
CHAIN_DEPTH = 3


def day(x: float) -> datetime:
    return BASE + timedelta(days=x)


@dataclass(frozen=True)
class Workload:
    detectors: int = 200
    epochs: int = 50
    lookups: int = 1_000
    decertifies: int = 3

    @classmethod
    def quick(cls) -> Workload:
        """The smoke run: the same call sizes (200 datasets a call), fewer calls."""
        return cls(detectors=200, epochs=5, lookups=100, decertifies=3)

    def data_id(self, k: int) -> dict[str, object]:
        return {"instrument": INSTRUMENT, "detector": k}

    def span(self, j: int) -> tuple[datetime, datetime]:
        """Validity of epoch j (the single certifies use j = epochs)."""
        return day(j), day(j + 1)

    @property
    def decertify_spans(self) -> list[tuple[datetime, datetime]]:
        """One span per decertify call, each inside its own epoch (all before ``epochs``)."""
        first = self.epochs // 2
        if first + self.decertifies > self.epochs:
            raise ValueError(f"{self.decertifies} decertifies need more than {self.epochs} "
                             "epochs")
        return [(day(d + 0.25), day(d + 0.75))
                for d in range(first, first + self.decertifies)]

    def questions(self) -> list[tuple[int, int, datetime]]:
        """(detector, epoch, instant): the instant lies inside epoch j's span, away from its
        bounds (whole milliseconds: exact in both systems' time representations)."""
        rng = random.Random(SEED)
        out = []
        for _ in range(self.lookups):
            k = rng.randrange(self.detectors)
            j = rng.randrange(self.epochs + 1)
            ms = rng.randrange(3_600_000, 82_800_000)  # 01:00 .. 23:00 of the day
            out.append((k, j, day(j) + timedelta(milliseconds=ms)))
        return out

    @property
    def expected_after(self) -> int:
        """Certifications stored at the end: every epoch's, plus a piece per split range."""
        return self.detectors * (self.epochs + 1 + self.decertifies)

    def as_dict(self) -> dict[str, int]:
        return {"detectors": self.detectors, "epochs": self.epochs, "lookups": self.lookups,
                "decertifies": self.decertifies}
