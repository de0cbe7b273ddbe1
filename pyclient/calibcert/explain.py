"""``explain()`` in the client (README "Explain"): why a lookup answers what it answers.

:class:`ExplainMixin` gives :class:`calibcert.registry.Registry` its ``explain`` method and
the backend primitive behind it, which both backends implement
(backends/postgres_explain.py, backends/sqlite/explain.py) with the same rows
(tests/test_behaviour_explain.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .history import check_epoch
from .types import DataId, Timespan, canonical_data_id, lookup_name

#: The outcomes of one searched member, in the words of ``calib.explain``.
OUTCOMES = ("match", "no match", "ambiguous", "skipped")


@dataclass(frozen=True)
class ExplainRow:
    """One row of ``explain()``: a member of the search path, in search order (``rank``
    from 1).

    ``outcome``: ``"no match"`` (searched, holds nothing for the data ID at that time),
    ``"match"`` (the deciding member: ``find`` returns ``dataset_id``), ``"ambiguous"`` (the
    deciding member holds several matches, ``find`` raises AmbiguousLookupError: one row per
    match), ``"skipped"`` (not searched: after the deciding member, or a CALIBRATION member
    when no time is given). On the deciding member's rows only: ``dataset_id``, ``timespan``
    (the matching certification's validity; None for RUN and TAGGED members) and ``epoch``
    (of the change that created the certification, tag or RUN dataset; None while it is the
    caller's own uncommitted change)."""

    rank: int
    member: str
    member_type: str
    outcome: str
    dataset_id: uuid.UUID | None
    timespan: Timespan | None
    epoch: int | None


class ExplainMixin:
    """The public ``explain`` method of a Registry, and its backend primitive."""

    def explain(self, collection: str, dataset_type: str, data_id: DataId,
                at: datetime | Timespan | None, *, as_of: int | None = None) -> list[ExplainRow]:
        """Why ``find(collection, dataset_type, data_id, at, as_of=as_of)`` answers what it
        answers: every member of the search path in order, with its outcome
        (:class:`ExplainRow`). The arguments are checked as ``find`` checks them and raise
        the same errors, except that an ambiguous match is an answer here, not an error."""
        from .registry import normalize_at

        dataset_type = lookup_name(dataset_type, "dataset type name")
        epoch = check_epoch(as_of)
        return self._explain(lookup_name(collection, "collection name"), dataset_type,
                             canonical_data_id(data_id, None, dataset_type),
                             normalize_at(at), epoch)

    # -- backend primitive (each backend implements it) ---------------------------------

    def _explain(self, collection: str, dataset_type: str, data_id: dict[str, Any],
                 at: datetime | Timespan | None, as_of: int | None) -> list[ExplainRow]:
        raise NotImplementedError
