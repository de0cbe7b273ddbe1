"""The ``calibcert`` command: every API operation from the shell (click)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .. import exchange
from ..errors import InvalidArgumentError
from ..registry import Registry
from ..types import Certification, CollectionType, DatasetRef, Timespan
from . import changes
from .common import (
    AT,
    DATA_ID,
    EXIT_CODES_HELP,
    EXIT_CONNECTION,
    TIME,
    CliError,
    Settings,
    common_options,
    dry_run_option,
    emit,
    iso,
    message,
    open_registry,
    parse_value,
    progress,
    resolved_url,
    settings,
    short_id,
    show_data_id,
    show_span,
    show_time,
    where_options,
)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

MAIN_HELP = """Certify calibration products: collections, dataset types, datasets,
certifications with validity timespans, lookups, export/import and plots.

\b
The database is chosen by --url, else $CALIBCERT_URL, else the embedded SQLite
file ($XDG_DATA_HOME/calibcert/calibcert.db, usually
~/.local/share/calibcert/calibcert.db). Run `calibcert db upgrade` once on a new
database. Times are ISO 8601 with a timezone (2024-03-01T12:00Z); an omitted end
means unbounded. Data IDs are KEY=VALUE[,KEY=VALUE...] (integers become ints;
quote as "..." to force a string) or a JSON object.

\b
Results go to stdout (tables, or JSON with --json), messages and errors to stderr.
Every command that changes something accepts --dry-run.
"""


class Group(click.Group):
    """Commands listed in the order they are defined (the order of a workflow)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=Group, context_settings=CONTEXT, help=MAIN_HELP, epilog=EXIT_CODES_HELP)
@common_options
@click.version_option(package_name="calibcert", prog_name="calibcert")
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.ensure_object(Settings)


def _reg() -> Registry:
    ctx = click.get_current_context()
    reg = open_registry()
    ctx.call_on_close(reg.close)
    return reg


def _done(changes_list: list[dict[str, Any]] | None, result: dict[str, Any], text: str) -> None:
    """Report a mutation: the dry-run preview, or the result (JSON) and a message."""
    if changes_list is not None:
        changes.report(changes_list, result)
        return
    if settings().json:
        emit(result)
    message(text)


# == db =====================================================================================


@cli.group(cls=Group, context_settings=CONTEXT)
def db() -> None:
    """Schema: create or upgrade it, show or check its revision."""


def _revisions() -> tuple[str, str | None, str]:
    from .. import migrate

    url = resolved_url()
    return url, migrate.current(url), migrate.head()


@db.command("upgrade")
@common_options
@dry_run_option
def db_upgrade(dry_run: bool) -> None:
    """Create the schema, or bring it to the newest revision (works on an empty database
    and on the embedded default file)."""
    from .. import migrate

    url, current, head = _revisions()
    result = {"from": current, "to": head, "changed": current != head}
    if dry_run:
        emit({"dry_run": True, "result": result}, ["CURRENT", "HEAD", "ACTION"],
             [[current or "(none)", head, "upgrade" if current != head else "nothing"]])
        plan = f"upgrade {current or 'empty'} → {head}" if current != head else "change nothing"
        message(f"dry run: would {plan}; nothing was changed")
        return
    migrate.upgrade(url)
    if settings().json:
        emit(result)
    message(f"database at revision {head} (head)" + ("" if current != head else ", unchanged"))


@db.command("current")
@common_options
def db_current() -> None:
    """Print the schema revision of the database (none for a database without calibcert)."""
    _, current, head = _revisions()
    emit({"current": current, "head": head, "at_head": current == head},
         ["CURRENT", "HEAD", "AT HEAD"], [[current or "(none)", head, current == head]])


@db.command("check")
@common_options
def db_check() -> None:
    """Exit 0 if the schema is at head, else 3 (for deployment scripts)."""
    _, current, head = _revisions()
    emit({"current": current, "head": head, "at_head": current == head},
         ["CURRENT", "HEAD", "AT HEAD"], [[current or "(none)", head, current == head]])
    if current != head:
        raise CliError(f"schema is at {current or 'no revision'}, head is {head}: run "
                       "`calibcert db upgrade`", EXIT_CONNECTION)


# == collections ============================================================================


@cli.group(cls=Group, context_settings=CONTEXT)
def collection() -> None:
    """Register, list, remove, copy and chain collections."""


@collection.command("register")
@click.argument("name")
@click.argument("type", type=click.Choice([t.value for t in CollectionType], case_sensitive=False))
@click.option("--doc", help="A description kept with the collection.")
@common_options
@dry_run_option
def collection_register(name: str, type: str, doc: str | None, dry_run: bool) -> None:
    """Register collection NAME of TYPE (same name and type again: a no-op)."""
    reg = _reg()
    created, ch = changes.apply(reg, [name], lambda: reg.register_collection(name, type, doc),
                                dry_run)
    _done(ch, {"collection": name, "type": type.upper(), "created": created},
          f"{'registered' if created else 'already registered:'} {type.upper()} collection {name}")


@collection.command("list")
@click.option("--type", "type_", type=click.Choice([t.value for t in CollectionType],
                                                   case_sensitive=False), help="Only this type.")
@common_options
def collection_list(type_: str | None) -> None:
    """List collections by name."""
    infos = _reg().list_collections(type_)
    emit([{"name": c.name, "type": c.type.value, "doc": c.doc} for c in infos],
         ["NAME", "TYPE", "DOC"], ([c.name, c.type.value, c.doc or ""] for c in infos),
         empty="no collections")


@collection.command("remove")
@click.argument("name")
@common_options
@dry_run_option
def collection_remove(name: str, dry_run: bool) -> None:
    """Remove a TAGGED / CALIBRATION / CHAINED collection (or an empty RUN) and its
    associations; datasets stay in their RUN."""
    reg = _reg()
    _, ch = changes.apply(reg, [name], lambda: reg.remove_collection(name), dry_run)
    _done(ch, {"removed": name}, f"removed collection {name}")


@collection.command("copy")
@click.argument("source")
@click.argument("destination")
@click.option("--doc", help="Description of the copy (default: the source's).")
@common_options
@dry_run_option
def collection_copy(source: str, destination: str, doc: str | None, dry_run: bool) -> None:
    """Create DESTINATION with the type and all associations of SOURCE (certifications
    with their timespans, tags, or chain children)."""
    reg = _reg()
    _, ch = changes.apply(reg, [destination],
                          lambda: reg.copy_collection(source, destination, doc), dry_run)
    _done(ch, {"source": source, "destination": destination},
          f"copied {source} to {destination}")


@collection.command("chain")
@click.argument("parent")
@click.argument("children", nargs=-1)
@click.option("--prepend", is_flag=True,
              help="Put CHILDREN in front of the current children (moving them if present).")
@click.option("--clear", is_flag=True, help="Set an empty chain.")
@common_options
@dry_run_option
def collection_chain(parent: str, children: tuple[str, ...], prepend: bool, clear: bool,
                     dry_run: bool) -> None:
    """Show or set the children of CHAINED collection PARENT (search order).

    Without CHILDREN (and without --clear) print the current chain."""
    reg = _reg()
    if not children and not clear:
        if prepend:
            raise click.UsageError("--prepend needs CHILDREN")
        current = reg.get_chain(parent)
        emit({"parent": parent, "children": current}, ["POSITION", "CHILD"],
             ([i, c] for i, c in enumerate(current)), empty=f"chain {parent} is empty")
        return
    if clear and children:
        raise click.UsageError("give CHILDREN or --clear, not both")

    def action() -> list[str]:
        new = list(children)
        if prepend:
            new += [c for c in reg.get_chain(parent) if c not in children]
        reg.set_chain(parent, new)
        return new

    new, ch = changes.apply(reg, [parent], action, dry_run)
    _done(ch, {"parent": parent, "children": new},
          f"chain {parent} = [{', '.join(new)}]")


# == dataset types ==========================================================================


@cli.group("dataset-type", cls=Group, context_settings=CONTEXT)
def dataset_type() -> None:
    """Register and list dataset types."""


@dataset_type.command("register")
@click.argument("name")
@click.argument("dimensions", nargs=-1, required=True)
@click.option("--calibration/--not-calibration", "is_calibration", default=True,
              help="Whether datasets of this type can be certified (default: yes).")
@common_options
@dry_run_option
def dataset_type_register(name: str, dimensions: tuple[str, ...], is_calibration: bool,
                          dry_run: bool) -> None:
    """Register dataset type NAME with its DIMENSIONS (data-ID keys, in order)."""
    reg = _reg()
    created, ch = changes.apply(
        reg, [], lambda: reg.register_dataset_type(name, dimensions, is_calibration), dry_run)
    _done(ch, {"dataset_type": name, "dimensions": list(dimensions),
               "is_calibration": is_calibration, "created": created},
          f"{'registered' if created else 'already registered:'} dataset type {name}"
          f"({', '.join(dimensions)})")


@dataset_type.command("list")
@common_options
def dataset_type_list() -> None:
    """List dataset types."""
    types = _reg().list_dataset_types()
    emit([{"name": t.name, "dimensions": list(t.dimensions), "is_calibration": t.is_calibration}
          for t in types], ["NAME", "DIMENSIONS", "CALIBRATION"],
         ([t.name, ", ".join(t.dimensions), "yes" if t.is_calibration else "no"] for t in types),
         empty="no dataset types")


# == datasets ===============================================================================


@cli.group(cls=Group, context_settings=CONTEXT)
def datasets() -> None:
    """Insert datasets into a RUN, list and show them."""


def _fmt(path: str, fmt: str | None, default: str = "json") -> str:
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    return {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}.get(suffix, default)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None


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
@click.option("--full-ids", is_flag=True, help="Show whole dataset ids in the table.")
@common_options
@dry_run_option
def datasets_insert(dataset_type: str, run: str, file: str | None, data_ids: tuple[dict, ...],
                    fmt: str | None, full_ids: bool, dry_run: bool) -> None:
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
    _refs_out(refs, full_ids)
    message(f"inserted {len(refs)} {dataset_type} datasets into RUN {run}")


def _refs_out(refs: Sequence[DatasetRef], full_ids: bool = True) -> None:
    emit(refs, ["DATASET", "DATASET TYPE", "DATA ID", "RUN"],
         ([str(r.id) if full_ids else short_id(r.id), r.dataset_type, show_data_id(r.data_id),
           r.run] for r in refs), empty="no datasets")


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


def _select(reg: Registry, collection: str, dataset_type: str, where: Sequence[str],
            required: bool = True) -> list[DatasetRef]:
    """Datasets of a type in a RUN / TAGGED / CHAINED collection, narrowed by --where."""
    try:
        filters = where_options(where)
    except click.BadParameter as exc:
        raise click.UsageError(exc.message) from None
    found: dict[Any, DatasetRef] = {}
    for f in filters:
        for ref in reg.query_datasets(collection, dataset_type, f or None):
            found.setdefault(ref.id, ref)
    if required and not found:
        narrowed = f" matching {' '.join(where)}" if where else ""
        raise CliError(f"no {dataset_type!r} datasets{narrowed} in collection {collection!r}")
    return list(found.values())


def _selection_options(f: Any) -> Any:
    return click.option(
        "--where", multiple=True, metavar="KEY=VALUE",
        help="Only data IDs with these values, e.g. --where detector=3 (repeat a key for any "
             "of several values: --where detector=1 --where detector=2).")(f)


@cli.command()
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


@cli.command()
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


# == certification ==========================================================================


@cli.command()
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


@cli.command("certify-series")
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
    ID as JSON), or a JSON / YAML list of such objects.
    """
    items = exchange.read_series(_read(file), _fmt(file, fmt, "csv"))
    reg = _reg()

    def action() -> int:
        pairs = exchange.resolve_series(reg, items)
        return reg.certify_series(collection, pairs, close_open)

    n, ch = changes.apply(reg, [collection], action, dry_run)
    _done(ch, {"certified": n, "collection": collection},
          f"certified a series of {n} datasets into {collection}")


def _span_options(f: Any) -> Any:
    f = click.option("--end", type=TIME, help="End (exclusive; omitted: unbounded).")(f)
    f = click.option("--begin", type=TIME, help="Begin (omitted: unbounded).")(f)
    return f


@cli.command()
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


@cli.command()
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


# == lookups ================================================================================


@cli.command()
@click.argument("collection")
@click.argument("dataset_type")
@click.option("-d", "--data-id", "data_ids", type=DATA_ID, multiple=True, required=True,
              help="Data ID to look up (repeatable).")
@click.option("--at", "ats", type=AT, multiple=True,
              help="Instant (or BEGIN/END timespan) to look up at (repeatable); omitted: "
                   "no time, CALIBRATION collections are skipped.")
@click.option("--full-ids", is_flag=True, help="Show whole dataset ids.")
@common_options
def find(collection: str, dataset_type: str, data_ids: tuple[dict, ...], ats: tuple[Any, ...],
         full_ids: bool) -> None:
    """Look up the DATASET_TYPE dataset valid for each --data-id at each --at in COLLECTION
    (chains searched in order). An ambiguous match is a conflict (exit 1)."""
    times: list[Any] = list(ats) or [None]
    queries = [(d, t) for t in times for d in data_ids]
    found = _reg().find_many(collection, dataset_type, queries)
    rows = [{"data_id": dict(sorted(d.items())), "at": _at_json(t), "dataset": r}
            for (d, t), r in zip(queries, found, strict=True)]
    emit(rows, ["AT", "DATA ID", "DATASET", "RUN"],
         ([_at_text(t), show_data_id(d), "-" if r is None else
           (str(r.id) if full_ids else short_id(r.id)), "" if r is None else r.run]
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


@cli.command("list")
@click.argument("collection")
@click.option("--dataset-type", help="Only this dataset type.")
@click.option("--full-ids", is_flag=True, help="Show whole dataset ids.")
@common_options
def list_(collection: str, dataset_type: str | None, full_ids: bool) -> None:
    """List what COLLECTION holds: certifications (CALIBRATION, or CHAINED: every
    CALIBRATION member, in search order), else its datasets (RUN, TAGGED)."""
    reg = _reg()
    ctype = _collection_type(reg, collection)
    if ctype in (CollectionType.CALIBRATION, CollectionType.CHAINED):
        certs = reg.certifications(collection, dataset_type)
        _certs_out(certs, full_ids)
        return
    types = [dataset_type] if dataset_type else [t.name for t in reg.list_dataset_types()]
    refs = [r for t in types for r in reg.query_datasets(collection, t)]
    _refs_out(refs, full_ids)


def _collection_type(reg: Registry, name: str) -> CollectionType:
    for c in reg.list_collections():
        if c.name == name:
            return c.type
    from ..errors import MissingCollectionError

    raise MissingCollectionError(f"collection {name!r} does not exist", collection=name)


def _certs_out(certs: Sequence[Certification], full_ids: bool) -> None:
    emit(certs, ["COLLECTION", "DATASET TYPE", "DATA ID", "DATASET", "RUN", "BEGIN", "END"],
         ([c.collection, c.ref.dataset_type, show_data_id(c.ref.data_id),
           str(c.ref.id) if full_ids else short_id(c.ref.id), c.ref.run,
           show_time(c.timespan.begin, "-inf"), show_time(c.timespan.end, "+inf")]
          for c in certs), empty="no certifications")


# == export / import ========================================================================


@cli.command("export")
@click.argument("collections", nargs=-1, required=True)
@click.option("-o", "--output", default="-", show_default=True,
              help="File to write ('-': stdout).")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "csv"]),
              help="Default: from the output's suffix, else json. csv: the certifications "
                   "of one CALIBRATION collection.")
@common_options
def export_(collections: tuple[str, ...], output: str, fmt: str | None) -> None:
    """Export COLLECTIONS (with their datasets, dataset types, certifications, tags and
    chain children) to a versioned file (format: calibcert-export v1, see the README)."""
    fmt = _fmt(output, fmt)
    reg = _reg()
    if fmt == "csv":
        if len(collections) != 1:
            raise click.UsageError("CSV export takes exactly one CALIBRATION collection")
        if _collection_type(reg, collections[0]) is not CollectionType.CALIBRATION:
            raise CliError(f"CSV export needs a CALIBRATION collection; {collections[0]!r} "
                           "is not one (use json or yaml)")
        text = exchange.export_certifications_csv(reg, collections[0])
        summary = f"{text.count(chr(10)) - 1} certifications"
    else:
        doc = exchange.export_data(reg, collections)
        text = exchange.dumps(doc, fmt)
        summary = (f"{len(doc['collections'])} collections, {len(doc['datasets'])} datasets, "
                   f"{sum(len(c.get('certifications', [])) for c in doc['collections'])} "
                   "certifications")
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
        message(f"exported {summary} to {output}")


@cli.command("import")
@click.argument("file")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "csv"]),
              help="Default: from the suffix ('-' reads JSON from stdin).")
@click.option("--collection", help="CSV: the CALIBRATION collection to certify into "
                                   "(registered if missing).")
@click.option("--series", is_flag=True,
              help="CSV/JSON/YAML of dataset,begin: certify through certify-series.")
@click.option("--close-open", is_flag=True, help="With --series: as in certify-series.")
@common_options
@dry_run_option
def import_(file: str, fmt: str | None, collection: str | None, series: bool, close_open: bool,
            dry_run: bool) -> None:
    """Import an export file atomically (all or nothing; conflicts abort everything and
    exit 1). Definitions and rows already present identically are skipped.

    A certification CSV (dataset_type,data_id,dataset,run,begin,end) or a --series file
    is certified into --collection.
    """
    fmt = _fmt(file, fmt)
    text = _read(file)
    reg = _reg()
    if series or fmt == "csv":
        if not collection:
            raise click.UsageError("--collection is required for CSV and --series imports")
        if series:
            items = exchange.read_series(text, fmt)

            def series_action() -> dict[str, int]:
                with reg.transaction():
                    reg.register_collection(collection, CollectionType.CALIBRATION)
                    pairs = exchange.resolve_series(reg, items)
                    return {"certifications": reg.certify_series(collection, pairs, close_open)}

            result, ch = changes.apply(reg, [collection], series_action, dry_run)
        else:
            rows = exchange.read_certifications_csv(text)
            result, ch = _with_progress(
                reg, [collection], len(rows), dry_run,
                lambda p: exchange.import_certifications(reg, collection, rows, p).as_dict())
    else:
        if collection:
            raise click.UsageError("--collection applies to CSV and --series imports only")
        doc = exchange.loads(text, fmt)
        scope = [c["name"] for c in doc["collections"]]
        result, ch = _with_progress(reg, scope, exchange.import_size(doc), dry_run,
                                    lambda p: exchange.import_data(reg, doc, p).as_dict())
    parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.items() if v)
    _done(ch, result, f"imported: {parts or 'nothing'}")


def _with_progress(reg: Registry, scope: list[str], total: int, dry_run: bool, run: Any):
    def action() -> Any:
        with progress(total, "importing") as bar:
            return run(bar.update)

    return changes.apply(reg, scope, action, dry_run)


# == plot ===================================================================================


@cli.command()
@click.argument("collection")
@click.option("-o", "--output", default="timeline.png", show_default=True,
              help="Image file: .png, .svg or .pdf.")
@click.option("--dataset-type", help="Only this dataset type.")
@click.option("--label", type=click.Choice(["id", "run"]), default="id", show_default=True,
              help="Label bars with the dataset's short id or its RUN.")
@click.option("--title", help="Plot title (default: the collection name).")
@common_options
def plot(collection: str, output: str, dataset_type: str | None, label: str,
         title: str | None) -> None:
    """Draw the validity timeline of CALIBRATION (or CHAINED) COLLECTION: one row per
    data ID, one bar per certification, gaps left blank."""
    from ..plot import write_timeline

    if Path(output).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise click.UsageError(f"--output {output!r} must end in .png, .svg or .pdf")
    certs = _reg().certifications(collection, dataset_type)
    write_timeline(certs, output, title=title or collection, label=label)
    keys = {(c.ref.dataset_type, json.dumps(c.ref.data_id, sort_keys=True)) for c in certs}
    emit({"output": output, "certifications": len(certs), "rows": len(keys)})
    message(f"wrote {output}: {len(certs)} certifications, {len(keys)} data IDs")


# == demo ===================================================================================


@cli.command()
@click.option("--plot", "plot_path", default="calibcert-demo.png", show_default=True,
              help="Where to write the timeline plot.")
@click.option("--replace", is_flag=True,
              help="Replace the target SQLite file even if it holds data other than a "
                   "previous demo's.")
@common_options
def demo(plot_path: str, replace: bool) -> None:
    """Run a realistic end-to-end workflow on a fresh database and plot the result.

    \b
    Target: --url / $CALIBCERT_URL, else the embedded default SQLite file. A SQLite target
    is deleted and recreated when it is absent, empty or a previous demo database (else
    use --replace or another --url); a PostgreSQL target must not hold the demo's
    collections yet. Every step is printed as the calibcert command it runs.
    """
    from ..demo import run_demo

    run_demo(resolved_url(), plot_path, replace=replace)
