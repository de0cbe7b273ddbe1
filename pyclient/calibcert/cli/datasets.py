"""``calibcert datasets``, ``tag`` and ``untag``: datasets in RUNs and TAGGED membership."""

from __future__ import annotations

import uuid
from typing import Any

import click

from .. import exchange
from ..errors import CalibCertError, DataIdError, InvalidArgumentError
from ..types import DatasetRef, canonical_data_id
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
    _source,
    dimensions_of,
)
from .common import (
    DATA_ID,
    CliError,
    common_options,
    dry_run_option,
    message,
    parse_value,
    progress,
    show_data_id,
)

# == datasets ===============================================================================


@click.group(cls=Group, context_settings=CONTEXT)
def datasets() -> None:
    """Insert datasets into a RUN, list and show them."""


class DataIdRows:
    """Data IDs read from a file, each with its place (``file, line 3`` / ``file, item 2``)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.data_ids: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.places: list[str] = []
        self.columns: list[str] | None = None  # CSV: the dimension columns of the header

    def add(self, where: str, data_id: Any, ident: Any = None) -> None:
        if not isinstance(data_id, dict):
            raise CliError(f"{where}: expected a data ID object, not {data_id!r}")
        try:
            self.data_ids.append(canonical_data_id(data_id))
        except DataIdError as exc:
            raise CliError(f"{where}: {exc.message}") from None
        if ident not in (None, ""):
            try:
                self.ids.append(str(uuid.UUID(str(ident))))
            except ValueError:
                raise CliError(f"{where}: id {ident!r} is not a dataset id (UUID)") from None
        self.places.append(where)


def read_data_ids(path: str, fmt: str) -> DataIdRows:
    """Data IDs (and optional ids) from JSON / YAML (a list of data IDs, or of
    ``{"data_id": ..., "id": ...}``) or CSV (one column per dimension, optional ``id``).

    Everything a file alone can get wrong is refused here, naming the file and the line
    (CSV) or item (JSON / YAML), before the database is touched: see
    :func:`calibcert.exchange.csv_table` for CSV structure; an empty cell; a value of a
    type a data ID cannot hold; an id that is not a UUID; ids for some rows only; a file
    with no data IDs."""
    text = _read(path)
    rows = DataIdRows(_source(path))
    if fmt == "csv":
        try:
            header, table = exchange.csv_table(text, rows.source, what="data IDs")
        except InvalidArgumentError as exc:
            raise CliError(exc.message) from None
        rows.columns = [h for h in header if h != "id"]
        if not rows.columns:
            raise CliError(f"{rows.source}, line 1: no dimension columns (header: "
                           f"{','.join(header)})")
        for r in table:
            ident = r.pop("id", None)
            empty = [k for k, v in r.items() if not v.strip()]
            if empty:
                raise CliError(f"{r.where}: no value for {', '.join(empty)}")
            try:
                data_id = {k: parse_value(v.strip()) for k, v in r.items()}
            except click.BadParameter as exc:
                raise CliError(f"{r.where}: {exc.message}") from None
            rows.add(r.where, data_id, ident)
    else:
        try:
            items = exchange.parse_structured(text, fmt, rows.source)
        except InvalidArgumentError as exc:
            raise CliError(exc.message) from None
        if not isinstance(items, list):
            raise CliError(f"{rows.source}: expected a list of data IDs, not "
                           f"{type(items).__name__}")
        if not items:
            raise CliError(f"{rows.source}: the list is empty: the file has no data IDs")
        for i, item in enumerate(items, start=1):
            where = f"{rows.source}, item {i}"
            if isinstance(item, dict) and isinstance(item.get("data_id"), dict):
                extra = sorted(set(item) - {"data_id", "id"})
                if extra:
                    raise CliError(f"{where}: unexpected key(s) {', '.join(extra)} beside "
                                   "data_id and id")
                rows.add(where, item["data_id"], item.get("id"))
            else:
                rows.add(where, item)
    if rows.ids and len(rows.ids) != len(rows.data_ids):
        raise CliError(f"{rows.source}: give an id for every dataset or for none "
                       f"({len(rows.ids)} ids for {len(rows.data_ids)} data IDs)")
    return rows


def _check_dimensions(rows: DataIdRows, dataset_type: str,
                      dimensions: tuple[str, ...] | None) -> None:
    """The file's data IDs have exactly the dataset type's dimensions (named by line)."""
    if dimensions is None:
        return  # an unknown type: insert_datasets reports it
    dims = set(dimensions)
    listed = ", ".join(dimensions)
    if rows.columns is not None and set(rows.columns) != dims:
        unknown = [c for c in rows.columns if c not in dims]
        missing = [d for d in dimensions if d not in rows.columns]
        raise CliError(
            f"{rows.source}, line 1: the columns do not match the dimensions of dataset type "
            f"{dataset_type!r} ({listed})"
            + (f"; unknown column(s) {', '.join(unknown)}" if unknown else "")
            + (f"; missing {', '.join(missing)}" if missing else ""))
    for where, data_id in zip(rows.places, rows.data_ids, strict=True):
        if set(data_id) != dims:
            unknown = [k for k in data_id if k not in dims]
            missing = [d for d in dimensions if d not in data_id]
            raise CliError(
                f"{where}: data ID {show_data_id(data_id)} does not match the dimensions of "
                f"dataset type {dataset_type!r} ({listed})"
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
                + (f"; missing {', '.join(missing)}" if missing else ""))


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
    optional id column. A file that cannot be read, is empty, or has a bad row is
    refused (exit 2, naming the file and line) and nothing is inserted.
    """
    values: list[dict[str, Any]] = list(data_ids)
    ids: list[str] | None = None
    from_file: DataIdRows | None = None
    if file:
        from_file = read_data_ids(file, _fmt(file, fmt))
        ids = from_file.ids or None
        if ids is not None and values:
            raise click.UsageError("a FILE with ids cannot be combined with --data-id")
        values = from_file.data_ids + values
    if not values:
        raise click.UsageError("give FILE or at least one --data-id")
    reg = _reg()
    if from_file is not None:
        _check_dimensions(from_file, dataset_type, dimensions_of(reg, dataset_type))

    def action() -> list[DatasetRef]:
        out: list[DatasetRef] = []
        with progress(len(values), f"inserting {dataset_type}") as bar:
            for start in range(0, len(values), exchange.CHUNK):
                part = values[start:start + exchange.CHUNK]
                part_ids = None if ids is None else ids[start:start + exchange.CHUNK]
                out.extend(reg.insert_datasets(dataset_type, run, part, part_ids))
                bar.update(len(part))
        return out

    try:
        refs, ch = changes.apply(reg, [run], action, dry_run, dataset_type)
    except CalibCertError as exc:
        if from_file is None:
            raise
        located = exchange.locate(exc, _places(from_file))
        if located is exc:
            raise
        raise located from exc.__cause__
    if ch is not None:
        changes.report(ch, {"inserted": len(refs)})
        return
    _refs_out(refs)
    message(f"inserted {len(refs)} {dataset_type} datasets into RUN {run}")


def _places(rows: DataIdRows) -> dict[str, str]:
    """Data-ID key and id → the first place in the file that names it."""
    seen: dict[str, list[str]] = {}
    for where, data_id in zip(rows.places, rows.data_ids, strict=True):
        seen.setdefault(exchange.data_id_key(data_id), []).append(where)
    for where, ident in zip(rows.places, rows.ids, strict=False):
        seen.setdefault(ident, []).append(where)
    return {key: _both(wheres) for key, wheres in seen.items()}


def _both(wheres: list[str]) -> str:
    """``f, line 2`` or, for a data ID the file repeats, ``f, lines 2 and 9``."""
    if len(wheres) == 1:
        return wheres[0]
    source, first = wheres[0].rsplit(", ", 1)
    unit, n = first.split(" ", 1)
    return f"{source}, {unit}s {n} and {wheres[1].rsplit(' ', 1)[1]}"


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
