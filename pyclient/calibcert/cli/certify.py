"""``calibcert certify``, ``certify-series``, ``decertify`` and ``close``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from .. import exchange
from ..types import Timespan
from . import changes
from .base import _done, _reg, _select, _selection_options, located, read_series
from .common import (
    DATA_ID,
    TIME,
    common_options,
    dry_run_option,
    iso,
    show_span,
)

# == certification ==========================================================================


@click.command()
@click.argument("input_collection", metavar="INPUT")
@click.argument("output")
@click.argument("dataset_type")
@click.option("--begin", type=TIME, required=True,
              help="Start of validity (ISO 8601 with timezone).")
@click.option("--end", type=TIME, help="End of validity, exclusive (omitted: unbounded).")
@_selection_options
@click.option("--close-open", is_flag=True,
              help="First end open-ended certifications of the same keys that begin earlier "
                   "at --begin.")
@common_options
@dry_run_option
def certify(input_collection: str, output: str, dataset_type: str, begin: datetime,
            end: datetime | None, where: tuple[str, ...], close_open: bool, dry_run: bool) -> None:
    """Certify all DATASET_TYPE datasets of INPUT (a RUN, TAGGED or CHAINED collection),
    optionally narrowed by --where, into CALIBRATION collection OUTPUT over [--begin, --end).

    All or nothing: any overlap with a stored certification (or between two of the
    selected datasets) is a conflict (exit 1) and nothing is stored.
    """
    ts = Timespan(begin, end)
    reg = _reg()
    refs = _select(reg, input_collection, dataset_type, where)
    n, ch = changes.apply(reg, [output], lambda: reg.certify(output, refs, ts, close_open),
                          dry_run)
    _done(ch, {"certified": n, "collection": output, "begin": iso(ts.begin), "end": iso(ts.end)},
          f"certified {n} {dataset_type} datasets into {output} over {show_span(ts)}")


@click.command("certify-series")
@click.argument("collection")
@click.argument("file")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "csv"]),
              help="FILE's format (default: from its suffix).")
@click.option("--close-open", is_flag=True,
              help="End earlier open-ended certifications of the same keys at the first begin.")
@common_options
@dry_run_option
def certify_series(collection: str, file: str, fmt: str | None, close_open: bool,
                   dry_run: bool) -> None:
    """Certify datasets that only carry start dates (curated calibrations) into COLLECTION:
    each validity ends at the next begin of the same data ID, the last is unbounded.

    \b
    FILE: CSV with columns dataset,begin (or dataset_type,run,data_id,begin with the data
    ID as JSON), or a JSON / YAML list of such objects. A file that cannot be read, is
    empty, has no rows or has a bad row is refused (exit 2, naming the file and line or
    item) and nothing is certified.
    """
    items = read_series(file, fmt)
    reg = _reg()

    def action() -> int:
        pairs = exchange.resolve_series(reg, items)
        return reg.certify_series(collection, pairs, close_open)

    n, ch = located(items, lambda: changes.apply(reg, [collection], action, dry_run))
    _done(ch, {"certified": n, "collection": collection},
          f"certified a series of {n} datasets into {collection}")


def _span_options(f: Any) -> Any:
    f = click.option("--end", type=TIME, help="End (exclusive; omitted: unbounded).")(f)
    f = click.option("--begin", type=TIME, help="Begin (omitted: unbounded).")(f)
    return f


@click.command()
@click.argument("collection")
@click.argument("dataset_type")
@_span_options
@click.option("-d", "--data-id", "data_ids", type=DATA_ID, multiple=True,
              help="Only this data ID (repeatable); default: every data ID of the type.")
@common_options
@dry_run_option
def decertify(collection: str, dataset_type: str, begin: datetime | None, end: datetime | None,
              data_ids: tuple[dict, ...], dry_run: bool) -> None:
    """Remove validity inside [--begin, --end) from DATASET_TYPE certifications in
    COLLECTION: fully covered rows are removed, straddling ones shortened, containing ones
    split in two."""
    if begin is None and end is None:
        raise click.UsageError("give --begin and/or --end (an omitted side is unbounded)")
    ts = Timespan(begin, end)
    reg = _reg()
    n, ch = changes.apply(
        reg, [collection],
        lambda: reg.decertify(collection, dataset_type, ts, list(data_ids) or None), dry_run,
        dataset_type)
    _done(ch, {"touched": n, "collection": collection},
          f"decertified {show_span(ts)}: {n} certifications touched in {collection}")


@click.command()
@click.argument("collection")
@click.argument("dataset_type")
@click.option("--end", type=TIME, required=True, help="The end to give open-ended rows.")
@click.option("-d", "--data-id", "data_ids", type=DATA_ID, multiple=True,
              help="Only this data ID (repeatable).")
@common_options
@dry_run_option
def close(collection: str, dataset_type: str, end: datetime, data_ids: tuple[dict, ...],
          dry_run: bool) -> None:
    """Give every open-ended DATASET_TYPE certification in COLLECTION the end --end."""
    reg = _reg()
    n, ch = changes.apply(
        reg, [collection],
        lambda: reg.close_open_range(collection, dataset_type, end, list(data_ids) or None),
        dry_run, dataset_type)
    _done(ch, {"closed": n, "collection": collection},
          f"closed {n} open-ended certifications in {collection} at {iso(end)}")
