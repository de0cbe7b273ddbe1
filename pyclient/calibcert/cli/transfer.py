"""``calibcert export`` and ``calibcert import``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import exchange
from ..registry import Registry
from ..types import CollectionType
from . import changes
from .base import _collection_type, _done, _fmt, _read, _reg, _source, located
from .common import (
    CliError,
    common_options,
    dry_run_option,
    message,
    output_option,
    progress,
    write_failed,
)
from .history import as_of_option, resolve_as_of

# == export / import ========================================================================


@click.command("export")
@click.argument("collections", nargs=-1, required=True)
@click.option("-o", "--output", default="-", show_default=True, callback=output_option,
              help="File to write ('-': stdout).")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "csv"]),
              help="Default: from the output's suffix, else json. csv: the certifications "
                   "of one CALIBRATION collection.")
@click.option("--to-butler", is_flag=True,
              help="Write a Rubin Butler export file (YAML, TAI times) for Butler.import_ "
                   "instead (README \"To and from the Rubin Butler\").")
@click.option("--storage-class", "storage_classes", multiple=True, metavar="TYPE=CLASS",
              help="With --to-butler: define dataset type TYPE with this Butler storage "
                   "class in the file (repeatable); types without one must already exist "
                   "in the target repository.")
@as_of_option
@common_options
def export_(collections: tuple[str, ...], output: str, fmt: str | None,
            as_of: str | None, to_butler: bool, storage_classes: tuple[str, ...]) -> None:
    """Export COLLECTIONS (with their datasets, dataset types, certifications, tags and
    chain children) to a versioned file (format: calibcert-export v1, see the README).
    --as-of: their content at that epoch (or time); the file carries no history."""
    if storage_classes and not to_butler:
        raise click.UsageError("--storage-class applies to --to-butler only")
    if to_butler and fmt not in (None, "yaml"):
        raise click.UsageError("--to-butler writes YAML: drop --format")
    fmt = "yaml" if to_butler else _fmt(output, fmt)
    reg = _reg()
    epoch = resolve_as_of(reg, as_of)
    if fmt == "csv":
        if len(collections) != 1:
            raise click.UsageError("CSV export takes exactly one CALIBRATION collection")
        if _collection_type(reg, collections[0], epoch) is not CollectionType.CALIBRATION:
            raise CliError(f"CSV export needs a CALIBRATION collection; {collections[0]!r} "
                           "is not one (use json or yaml)")
        text = exchange.export_certifications_csv(reg, collections[0], epoch)
        summary = f"{text.count(chr(10)) - 1} certifications"
    else:
        doc = exchange.export_data(reg, collections, epoch)
        if to_butler:
            from .. import butler_format  # YAML and astropy only when asked for

            text = butler_format.to_butler(doc, _storage_classes(storage_classes))
        else:
            text = exchange.dumps(doc, fmt)
        summary = (f"{len(doc['collections'])} collections, {len(doc['datasets'])} datasets, "
                   f"{sum(len(c.get('certifications', [])) for c in doc['collections'])} "
                   f"certifications{' (Butler format)' if to_butler else ''}")
    if output == "-":
        click.echo(text, nl=False)
    else:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise write_failed(output, exc) from None
        message(f"exported {summary} to {output}")


def _storage_classes(items: tuple[str, ...]) -> dict[str, str]:
    """--storage-class TYPE=CLASS options as a mapping."""
    classes = {}
    for item in items:
        name, sep, cls = item.partition("=")
        if not sep or not name or not cls:
            raise click.UsageError(f"--storage-class {item!r}: expected TYPE=CLASS")
        classes[name] = cls
    return classes


@click.command("import")
@click.argument("file")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "csv"]),
              help="Default: from the suffix ('-' reads JSON from stdin).")
@click.option("--collection", help="CSV: the CALIBRATION collection to certify into "
                                   "(registered if missing).")
@click.option("--series", is_flag=True,
              help="CSV/JSON/YAML of dataset,begin: certify through certify-series.")
@click.option("--close-open", is_flag=True, help="With --series: as in certify-series.")
@click.option("--from-butler", is_flag=True,
              help="FILE is a Rubin Butler export (Butler.export(format='yaml')): its RUN, "
                   "TAGGED, CALIBRATION and CHAINED collections, datasets and validity "
                   "ranges (TAI, converted to UTC) are imported.")
@common_options
@dry_run_option
def import_(file: str, fmt: str | None, collection: str | None, series: bool, close_open: bool,
            from_butler: bool, dry_run: bool) -> None:
    """Import an export file atomically (all or nothing; conflicts abort everything and
    exit 1). Definitions and rows already present identically are skipped.

    A certification CSV (dataset_type,data_id,dataset,run,begin,end) or a --series file
    is certified into --collection. A file that cannot be read, is empty, has no rows or
    has a bad row or element is refused (exit 2, naming the file and line or element)
    and nothing is imported.
    """
    if from_butler and (series or collection or fmt not in (None, "yaml")):
        raise click.UsageError("--from-butler reads a Butler YAML export: drop --format, "
                               "--series and --collection")
    fmt = "yaml" if from_butler else _fmt(file, fmt)
    if (series or fmt == "csv") and not collection:
        raise click.UsageError("--collection is required for CSV and --series imports")
    if collection and not (series or fmt == "csv"):
        raise click.UsageError("--collection applies to CSV and --series imports only")
    text = _read(file)
    source = _source(file)
    reg = _reg()
    if series or fmt == "csv":
        assert collection is not None
        if series:
            items = exchange.read_series(text, fmt, source)

            def series_action() -> dict[str, int]:
                with reg.transaction():
                    reg.register_collection(collection, CollectionType.CALIBRATION)
                    pairs = exchange.resolve_series(reg, items)
                    return {"certifications": reg.certify_series(collection, pairs, close_open)}

            result, ch = located(
                items, lambda: changes.apply(reg, [collection], series_action, dry_run))
        else:
            rows = exchange.read_certifications_csv(text, source)
            result, ch = _with_progress(
                reg, [collection], len(rows), dry_run,
                lambda p: exchange.import_certifications(reg, collection, rows, p).as_dict())
    else:
        if from_butler:
            from .. import butler_format  # YAML and astropy only when asked for

            read = butler_format.from_butler(text, source)
            doc = read.doc
            if read.dropped:  # README "To and from the Rubin Butler": not carried
                message("not carried (registry content only): " + ", ".join(
                    f"{v} {k.replace('_', ' ')}" for k, v in sorted(read.dropped.items())))
        else:
            doc = exchange.loads(text, fmt, source)
        scope = [c["name"] for c in doc["collections"]]
        result, ch = _with_progress(reg, scope, exchange.import_size(doc), dry_run,
                                    lambda p: exchange.import_data(
                                        reg, doc, p, None if from_butler else source).as_dict())
    parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.items() if v)
    _done(ch, result, f"imported: {parts or 'nothing'}")


def _with_progress(reg: Registry, scope: list[str], total: int, dry_run: bool, run: Any):
    def action() -> Any:
        with progress(total, "importing") as bar:
            return run(bar.update)

    return changes.apply(reg, scope, action, dry_run)
