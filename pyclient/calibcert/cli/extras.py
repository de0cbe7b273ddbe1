"""``calibcert plot`` and ``calibcert demo``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .base import _reg
from .common import (
    common_options,
    emit,
    message,
    resolved_url,
)

# == plot ===================================================================================


@click.command()
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


@click.command()
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

    # The root group runs each step: handed over, so that demo never imports the CLI.
    run_demo(resolved_url(), click.get_current_context().find_root().command, plot_path,
             replace=replace)
