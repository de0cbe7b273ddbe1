"""``calibcert datasets``, ``tag`` and ``untag``: datasets in RUNs and TAGGED membership."""

from __future__ import annotations

import csv
import io
from typing import Any

import click

from .. import exchange
from ..errors import InvalidArgumentError
from ..types import DatasetRef
from . import changes
from .base import (
    CONTEXT,
    Group,
    _done,
    _fmt,
    _read,
    _refs_out,
    _reg,
    _select,
    _selection_options,
)
from .common import (
    DATA_ID,
    CliError,
    common_options,
    dry_run_option,
    message,
    parse_value,
    progress,
)

# == datasets ===============================================================================


@click.group(cls=Group, context_settings=CONTEXT)
def datasets() -> None:
    """Insert datasets into a RUN, list and show them."""


def read_data_ids(path: str, fmt: str) -> tuple[list[dict[str, Any]], list[str] | None]:
    """Data IDs (and optional ids) from JSON / YAML (a list of data IDs, or of
    ``{"data_id": ..., "id": ...}``) or CSV (one column per dimension, optional ``id``)."""
    text = _read(path)
    items: list[Any]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        items = []
        for r in rows:
            ident = r.pop("id", None)
            data_id = {k: parse_value(v) for k, v in r.items()}
            items.append({"data_id": data_id, "id": ident} if ident else data_id)
    else:
        try:
            items = exchange.parse_structured(text, fmt, path)
        except InvalidArgumentError as exc:
            raise CliError(str(exc)) from None
        if not isinstance(items, list):
            raise CliError(f"{path}: expected a list of data IDs")
    data_ids: list[dict[str, Any]] = []
    ids: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            raise CliError(f"{path}: expected data ID objects, got {item!r}")
        if "data_id" in item and isinstance(item["data_id"], dict):
            data_ids.append(item["data_id"])
            if item.get("id"):
                ids.append(str(item["id"]))
        else:
            data_ids.append(item)
    if ids and len(ids) != len(data_ids):
        raise CliError(f"{path}: give an id for every dataset or for none")
    return data_ids, ids or None


@datasets.command("insert")
@click.argument("dataset_type")
@click.argument("run")
@click.argument("file", required=False)
@click.option("-d", "--data-id", "data_ids", type=DATA_ID, multiple=True,
              help="A data ID to insert (repeatable), instead of or besides FILE.")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "csv"]),
              help="FILE's format (default: from its suffix; '-' reads JSON from stdin).")
@common_options
@dry_run_option
def datasets_insert(dataset_type: str, run: str, file: str | None, data_ids: tuple[dict, ...],
                    fmt: str | None, dry_run: bool) -> None:
    """Create datasets of DATASET_TYPE in RUN from FILE and/or --data-id options.

    \b
    FILE: JSON or YAML list of data IDs ({"instrument": "Cam", "detector": 1}) or of
    {"data_id": {...}, "id": "<uuid>"}; or CSV with a column per dimension and an
    optional id column.
    """
    values: list[dict[str, Any]] = list(data_ids)
    ids: list[str] | None = None
    if file:
        from_file, ids = read_data_ids(file, _fmt(file, fmt))
        if ids is not None and values:
            raise click.UsageError("a FILE with ids cannot be combined with --data-id")
        values = from_file + values
    if not values:
        raise click.UsageError("give FILE or at least one --data-id")
    reg = _reg()

    def action() -> list[DatasetRef]:
        out: list[DatasetRef] = []
        with progress(len(values), f"inserting {dataset_type}") as bar:
            for start in range(0, len(values), exchange.CHUNK):
                part = values[start:start + exchange.CHUNK]
                part_ids = None if ids is None else ids[start:start + exchange.CHUNK]
                out.extend(reg.insert_datasets(dataset_type, run, part, part_ids))
                bar.update(len(part))
        return out

    refs, ch = changes.apply(reg, [run], action, dry_run, dataset_type)
    if ch is not None:
        changes.report(ch, {"inserted": len(refs)})
        return
    _refs_out(refs)
    message(f"inserted {len(refs)} {dataset_type} datasets into RUN {run}")


@datasets.command("list")
@click.argument("collection")
@click.argument("dataset_type")
@click.option("--where", multiple=True, metavar="KEY=VALUE",
              help="Only data IDs with these values (repeat a key for any of several values).")
@common_options
def datasets_list(collection: str, dataset_type: str, where: tuple[str, ...]) -> None:
    """Datasets of DATASET_TYPE in a RUN, TAGGED or CHAINED COLLECTION (as seen by a
    search without a time)."""
    _refs_out(_select(_reg(), collection, dataset_type, where, required=False))


@datasets.command("show")
@click.argument("ids", nargs=-1, required=True)
@common_options
def datasets_show(ids: tuple[str, ...]) -> None:
    """Show datasets by id."""
    _refs_out(_reg().get_datasets(list(ids)))


@click.command()
@click.argument("collection")
@click.argument("input_collection", metavar="INPUT")
@click.argument("dataset_type")
@_selection_options
@common_options
@dry_run_option
def tag(collection: str, input_collection: str, dataset_type: str, where: tuple[str, ...],
        dry_run: bool) -> None:
    """Add all DATASET_TYPE datasets of INPUT (RUN / TAGGED / CHAINED) to TAGGED COLLECTION."""
    reg = _reg()
    refs = _select(reg, input_collection, dataset_type, where)
    n, ch = changes.apply(reg, [collection], lambda: reg.tag(collection, refs), dry_run)
    _done(ch, {"tagged": n}, f"tagged {n} datasets in {collection}")


@click.command()
@click.argument("collection")
@click.argument("dataset_type")
@_selection_options
@common_options
@dry_run_option
def untag(collection: str, dataset_type: str, where: tuple[str, ...], dry_run: bool) -> None:
    """Remove DATASET_TYPE datasets (optionally narrowed) from TAGGED COLLECTION."""
    reg = _reg()
    refs = _select(reg, collection, dataset_type, where)
    n, ch = changes.apply(reg, [collection], lambda: reg.untag(collection, refs), dry_run)
    _done(ch, {"untagged": n}, f"untagged {n} datasets from {collection}")
