"""find_many's queries read once: each distinct data ID of a call canonicalised once.

A batch usually asks few data IDs at many instants (every detector over the epochs of a
night): bench/run.py's 10^4 pairs hold 100 distinct data IDs. Checking, canonicalising
and, on PostgreSQL, encoding every pair's data ID was most of the client's ~19 us per pair
(bench/README.md "find_many whatever the statistics", "Client (fm-client)"). The cache
lives for one call only: nothing is remembered between calls (the data may change).

A repeat is recognised only when it is exactly the same spelling: a plain ``dict`` with the
same keys in the same order, of exactly ``str`` keys and exactly ``int`` / ``str`` values
equal to an earlier one's. Comparing the types too matters: ``True == 1`` and
``hash(True) == hash(1)``, but a bool is refused where an int is accepted. Every other data
ID (another order, a Mapping, other types) is checked on its own, as before; an invalid
one raises at its own position, before any later pair is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from .errors import InvalidArgumentError, InvalidTimespanError
from .types import DataId, Timespan, canonical_data_id, to_utc

#: ``find``'s time: an instant, a timespan, or None (skip CALIBRATION collections).
At = datetime | Timespan | None

#: The only value types whose repeats are recognised (exact types: see the module doc).
_PLAIN = frozenset({int, str})


def normalize_at(at: At) -> At:
    """An instant in UTC, a Timespan, or None; naive datetimes are rejected."""
    if type(at) is datetime and at.tzinfo is timezone.utc:
        return at  # already normal (astimezone would return it as is); find_many's hot path
    if at is None or isinstance(at, Timespan):
        return at
    if isinstance(at, datetime):
        return to_utc(at, "lookup time")
    raise InvalidTimespanError(
        f"lookup time must be a datetime, a Timespan or None, not {type(at).__name__}"
    )


class DataIdBatch:
    """The data IDs of a find_many call: ``distinct`` canonical data IDs, and per query
    (in input order) the position in ``distinct`` of its data ID."""

    __slots__ = ("distinct", "index")

    def __init__(self, distinct: list[dict[str, Any]], index: list[int]) -> None:
        self.distinct = distinct
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    def expanded(self) -> list[dict[str, Any]]:
        """One canonical data ID per query, each its own dict, as if each had been
        canonicalised alone: backends put them in the DatasetRefs they return, and a caller
        changing one ref's data_id must not change another's."""
        seen = [False] * len(self.distinct)
        out = []
        for j in self.index:
            d = self.distinct[j]
            if seen[j]:
                d = dict(d)  # values are int / str: a shallow copy is a full one
            else:
                seen[j] = True
            out.append(d)
        return out


def read_queries(queries: Iterable[tuple[DataId, At]],
                 dataset_type: str) -> tuple[DataIdBatch, list[At]]:
    """find_many's (data_id, at) pairs: the data IDs as a DataIdBatch, the times
    normalised. Errors exactly as when every pair was checked alone, at the first bad pair
    in input order (its data ID before its time)."""
    distinct: list[dict[str, Any]] = []
    index: list[int] = []
    times: list[At] = []
    seen: dict[tuple[Any, ...], int] = {}
    for query in queries:
        try:
            data_id, at = query
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"find_many queries are (data_id, at) pairs, not {query!r}"
            ) from None
        key = None
        if type(data_id) is dict:
            # Keys and values in their given order, with their exact types (module doc).
            key = (*data_id.items(), *map(type, data_id), *map(type, data_id.values()))
            try:
                j = seen.get(key)
            except TypeError:  # an unhashable value: canonical_data_id reports it
                key = j = None
        else:
            j = None
        if j is None:
            canon = canonical_data_id(data_id, None, dataset_type)
            j = len(distinct)
            distinct.append(canon)
            if key is not None and _plain(data_id):
                seen[key] = j
        index.append(j)
        times.append(normalize_at(at))
    return DataIdBatch(distinct, index), times


def _plain(data_id: dict[Any, Any]) -> bool:
    """Whether a (valid) data ID's keys are exactly str and its values exactly int or str:
    only then do equal same-typed spellings canonicalise alike without asking."""
    for k, v in data_id.items():
        if type(k) is not str or type(v) not in _PLAIN:
            return False
    return True
