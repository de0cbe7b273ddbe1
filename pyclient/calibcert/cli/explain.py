"""``calibcert explain`` (README "Explain"): why a lookup answers what it answers, one row
per member of the search path, on both backends."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from .base import _reg
from .common import AT, DATA_ID, common_options, emit, show_id, show_span
from .history import as_of_option, resolve_as_of


@click.command()
@click.argument("collection")
@click.argument("dataset_type")
@click.option("-d", "--data-id", "data_id", type=DATA_ID, required=True,
              help="The data ID looked up.")
@click.option("--at", "at", type=AT,
              help="Instant (or BEGIN/END timespan) of the lookup; omitted: no time, "
                   "CALIBRATION collections are skipped (as find skips them).")
@as_of_option
@common_options
def explain(collection: str, dataset_type: str, data_id: dict, at: Any,
            as_of: str | None) -> None:
    """Explain `calibcert find COLLECTION DATASET_TYPE -d ... --at ...`: every member of
    COLLECTION's search path in order, with its outcome (match, no match, ambiguous: the
    deciding member holds several matches, one row each; skipped: not searched), and for the
    deciding member the dataset, the certification's validity and the epoch that created
    it. An ambiguous lookup is shown, not an error (exit 0)."""
    reg = _reg()
    rows = reg.explain(collection, dataset_type, data_id, at, as_of=resolve_as_of(reg, as_of))
    emit([asdict(r) for r in rows],
         ["RANK", "MEMBER", "TYPE", "OUTCOME", "DATASET", "VALIDITY", "CREATED AT EPOCH"],
         ([r.rank, r.member, r.member_type, r.outcome,
           "-" if r.dataset_id is None else show_id(r.dataset_id),
           "-" if r.timespan is None else show_span(r.timespan),
           "-" if r.epoch is None and r.dataset_id is None
           else ("(pending)" if r.epoch is None else r.epoch)] for r in rows),
         empty=f"{collection!r} searches no collection")
