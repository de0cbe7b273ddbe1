"""Shared helpers of the behaviour suite (tests/test_behaviour_*.py).

Time helpers return aware UTC datetimes; :func:`make_world` registers the standard little
world every behaviour test starts from; :func:`rows` / :func:`spans` read certifications back
in a backend-independent order so that "a failed call changed nothing" is one comparison.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from calibcert import CollectionType, DatasetRef, Registry, Timespan

UTC = timezone.utc
INSTRUMENT = "Cam"
RUN = "Cam/raw/run1"
RUN2 = "Cam/raw/run2"
CALIB = "Cam/calib"

#: One microsecond: the storage precision, and the step used to probe span edges.
US = timedelta(microseconds=1)


def t(year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0,
      second: int = 0, microsecond: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def ts(begin: datetime | int | None, end: datetime | int | None) -> Timespan:
    """A Timespan; plain ints are years (``ts(2020, 2021)`` is the year 2020)."""
    def conv(v: datetime | int | None) -> datetime | None:
        return t(v) if isinstance(v, int) else v

    return Timespan(conv(begin), conv(end))


def bias_id(detector: int) -> dict[str, Any]:
    return {"instrument": INSTRUMENT, "detector": detector}


def flat_id(detector: int, physical_filter: str = "r") -> dict[str, Any]:
    return {"instrument": INSTRUMENT, "detector": detector, "physical_filter": physical_filter}


def raw_id(detector: int, exposure: int = 1) -> dict[str, Any]:
    return {"instrument": INSTRUMENT, "detector": detector, "exposure": exposure}


@dataclass
class World:
    """The standard world: RUNs ``RUN`` and ``RUN2``, CALIBRATION ``CALIB``, calibration types
    ``bias`` (instrument, detector) and ``flat`` (instrument, detector, physical_filter), and
    the non-calibration type ``raw`` (instrument, detector, exposure)."""

    reg: Registry

    def biases(self, *detectors: int, run: str = RUN) -> list[DatasetRef]:
        return self.reg.insert_datasets("bias", run, [bias_id(d) for d in detectors])

    def bias(self, detector: int, run: str = RUN) -> DatasetRef:
        return self.biases(detector, run=run)[0]

    def flat(self, detector: int, physical_filter: str = "r", run: str = RUN) -> DatasetRef:
        return self.reg.insert_datasets("flat", run, [flat_id(detector, physical_filter)])[0]

    def raw(self, detector: int, exposure: int = 1, run: str = RUN) -> DatasetRef:
        return self.reg.insert_datasets("raw", run, [raw_id(detector, exposure)])[0]


def make_world(reg: Registry) -> World:
    reg.register_collection(RUN, CollectionType.RUN)
    reg.register_collection(RUN2, CollectionType.RUN)
    reg.register_collection(CALIB, CollectionType.CALIBRATION)
    reg.register_dataset_type("bias", ("instrument", "detector"))
    reg.register_dataset_type("flat", ("instrument", "detector", "physical_filter"))
    reg.register_dataset_type("raw", ("instrument", "detector", "exposure"), is_calibration=False)
    return World(reg)


def rows(reg: Registry, collection: str = CALIB,
         dataset_type: str | None = None) -> set[tuple[str, uuid.UUID, Timespan]]:
    """Certifications as a set of (collection, dataset id, timespan); asserts no row repeats,
    so comparing two snapshots also catches duplicated rows."""
    found = [(c.collection, c.ref.id, c.timespan)
             for c in reg.certifications(collection, dataset_type)]
    assert len(found) == len(set(found)), f"repeated certification rows: {found}"
    return set(found)


def _begin_key(span: Timespan) -> datetime:
    return span.begin if span.begin is not None else datetime.min.replace(tzinfo=UTC)


def spans(reg: Registry, collection: str, dataset_type: str,
          data_id: dict[str, Any]) -> list[tuple[uuid.UUID, Timespan]]:
    """(dataset id, timespan) of one calibration key, by begin."""
    wanted = json.dumps(data_id, sort_keys=True)
    out = [(c.ref.id, c.timespan) for c in reg.certifications(collection, dataset_type)
           if json.dumps(c.ref.data_id, sort_keys=True) == wanted]
    return sorted(out, key=lambda r: _begin_key(r[1]))


def ids(refs: Iterable[DatasetRef | None]) -> list[uuid.UUID | None]:
    return [None if r is None else r.id for r in refs]


#: Revision 0014's tables, each with the current table whose rows it versions (every
#: version; certification_version keeps closed versions only, and current certifications
#: carry their creating change in two trailing columns).
VERSIONED = {"collection_version": "collection", "chain_version": "collection_chain",
             "tag_version": "tag", "dataset_version": "dataset"}


def pop_upgrade_history(contents: dict[str, list[tuple[Any, ...]]]) -> None:
    """Take revision 0014's history out of table contents read after an upgrade of a
    database that held content, checking it is what the upgrade promises: one change, epoch
    1, reason 'revision 0014: existing content', and one open version of every existing
    row, created by that change with operation 'upgrade' (for certifications: their two
    trailing columns, taken off here, and no closed version); no snapshot, and the search
    paths' snapshot columns (taken off here) NULL."""
    (change,) = contents.pop("change")
    change_id, _xid, epoch, _committed_at, _role, user, reason, request_id, results = change
    assert (epoch, user, reason) == (1, None, "revision 0014: existing content")
    assert (request_id, results) == (None, None)  # retention: no request, nothing pruned
    if "history_horizon" in contents:
        assert contents.pop("history_horizon") == [(True, 0, None)]
    if "epoch_lock" in contents:  # revision 0019: its one row
        assert contents.pop("epoch_lock") == [(True,)]
    for table, current in VERSIONED.items():
        rows = contents.pop(table)
        assert len(rows) == len(contents[current]), table
        assert {row[-4:] for row in rows} <= {(change_id, None, "upgrade", None)}, table
    assert contents.pop("certification_version") == []
    certs = contents["certification"]
    assert {row[-2:] for row in certs} <= {(change_id, "upgrade")}
    contents["certification"] = [row[:-2] for row in certs]
    # Snapshots (0014): no snapshot yet, and the search paths' two snapshot columns NULL.
    assert contents.pop("snapshot") == []
    paths = contents["search_path"]
    assert {row[-2:] for row in paths} <= {(None, None)}
    contents["search_path"] = [row[:-2] for row in paths]
