"""``calibcert find``, ``calibcert list`` and ``calibcert digest``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ..types import Certification, CollectionType, Timespan
from .base import _collection_type, _refs_out, _reg
from .common import (
    AT,
    DATA_ID,
    common_options,
    emit,
    iso,
    settings,
    show_data_id,
    show_id,
    show_span,
    show_time,
)
from .history import as_of_option, resolve_as_of

# == lookups ================================================================================


@click.command()
@click.argument("collection")
@click.argument("dataset_type")
@click.option("-d", "--data-id", "data_ids", type=DATA_ID, multiple=True, required=True,
              help="Data ID to look up (repeatable).")
@click.option("--at", "ats", type=AT, multiple=True,
              help="Instant (or BEGIN/END timespan) to look up at (repeatable); omitted: "
                   "no time, CALIBRATION collections are skipped.")
@as_of_option
@common_options
def find(collection: str, dataset_type: str, data_ids: tuple[dict, ...],
         ats: tuple[Any, ...], as_of: str | None) -> None:
    """Look up the DATASET_TYPE dataset valid for each --data-id at each --at in COLLECTION
    (chains searched in order). An ambiguous match is a conflict (exit 1)."""
    times: list[Any] = list(ats) or [None]
    queries = [(d, t) for t in times for d in data_ids]
    reg = _reg()
    found = reg.find_many(collection, dataset_type, queries, as_of=resolve_as_of(reg, as_of))
    rows = [{"data_id": dict(sorted(d.items())), "at": _at_json(t), "dataset": r}
            for (d, t), r in zip(queries, found, strict=True)]
    emit(rows, ["AT", "DATA ID", "DATASET", "RUN"],
         ([_at_text(t), show_data_id(d), "-" if r is None else show_id(r.id),
           "" if r is None else r.run]
          for (d, t), r in zip(queries, found, strict=True)))


def _at_json(at: Any) -> Any:
    if isinstance(at, Timespan):
        return {"begin": iso(at.begin), "end": iso(at.end)}
    return iso(at)


def _at_text(at: Any) -> str:
    if at is None:
        return "(no time)"
    if isinstance(at, Timespan):
        return show_span(at)
    return iso(at) or ""


@click.command("list")
@click.argument("collection")
@click.option("--dataset-type", help="Only this dataset type.")
@as_of_option
@common_options
def list_(collection: str, dataset_type: str | None, as_of: str | None) -> None:
    """List what COLLECTION holds: certifications (CALIBRATION, or CHAINED: every
    CALIBRATION member, in search order), else its datasets (RUN, TAGGED). --as-of: what
    it held at that epoch (or time)."""
    reg = _reg()
    epoch = resolve_as_of(reg, as_of)
    ctype = _collection_type(reg, collection, epoch)
    if ctype in (CollectionType.CALIBRATION, CollectionType.CHAINED):
        certs = reg.certifications(collection, dataset_type, as_of=epoch)
        _certs_out(certs)
        return
    types = [dataset_type] if dataset_type else [t.name for t in reg.list_dataset_types()]
    refs = [r for t in types for r in reg.query_datasets(collection, t, as_of=epoch)]
    _refs_out(refs)


def _certs_out(certs: Sequence[Certification]) -> None:
    emit(certs, ["COLLECTION", "DATASET TYPE", "DATA ID", "DATASET", "RUN", "BEGIN", "END"],
         ([c.collection, c.ref.dataset_type, show_data_id(c.ref.data_id),
           show_id(c.ref.id), c.ref.run,
           show_time(c.timespan.begin, "-inf"), show_time(c.timespan.end, "+inf")]
          for c in certs), empty="no certifications")


# == digest =================================================================================


@click.command()
@click.argument("collection")
@as_of_option
@common_options
def digest(collection: str, as_of: str | None) -> None:
    """Print the digest of COLLECTION's current content (--as-of: its content at that epoch
    or time), sha256:<64 hex> (README "Collection digests"): equal for equal content on
    PostgreSQL and SQLite, after export/import and under another name; a chain's digest
    covers its children's names in order. With --json: {"collection": ..., "digest": ...}.
    Read-only."""
    reg = _reg()
    value = reg.collection_digest(collection, as_of=resolve_as_of(reg, as_of))
    if settings().json:
        emit({"collection": collection, "digest": value})
    else:
        click.echo(value)
