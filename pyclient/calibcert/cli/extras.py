"""``calibcert plot`` and ``calibcert demo``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..types import CollectionType
from .base import _reg
from .common import (
    common_options,
    emit,
    message,
    output_option,
    resolved_url,
    write_failed,
)
from .history import as_of_option, resolve_as_of

# == plot ===================================================================================


@click.command()
@click.argument("collection")
@click.option("-o", "--output", default="timeline.png", show_default=True,
              callback=output_option, help="Image file: .png, .svg or .pdf.")
@click.option("--dataset-type", help="Only this dataset type (default: every calibration type).")
@click.option("--label", type=click.Choice(["id", "run", "member"]), default="id",
              show_default=True,
              help="Label bars with the dataset's short id, its RUN, or the chain member that "
                   "answers.")
@click.option("--title", help="Plot title (default: the collection name).")
@as_of_option
@common_options
def plot(collection: str, output: str, dataset_type: str | None, label: str,
         title: str | None, as_of: str | None) -> None:
    """Draw the validity timeline of a CALIBRATION or CHAINED COLLECTION, as lookups see it:
    one row per data ID, one bar per interval in which lookups find one dataset, coloured by
    the dataset's RUN (legend). A chain shows which member answers when (hatches, legend in
    search order): the first member with a match decides, and a RUN or TAGGED member answers
    for all time, hiding the members after it for the data IDs it holds. Times when lookups
    find nothing are blank. A RUN or TAGGED collection is refused (exit 2): it has no
    timeline. --as-of: as lookups saw it at that epoch (or time), chains as they were then."""
    from ..lookup_view import lookup_view
    from ..plot import write_timeline

    if Path(output).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise click.UsageError(f"--output {output!r} must end in .png, .svg or .pdf")
    reg = _reg()
    view = lookup_view(reg, collection, dataset_type, resolve_as_of(reg, as_of))
    try:
        write_timeline(view, output, title=title or view.collection, label=label)
    except OSError as exc:
        raise write_failed(output, exc) from None
    rows = {(a.ref.dataset_type, json.dumps(a.ref.data_id, sort_keys=True))
            for a in view.answers}
    runs = {a.ref.run for a in view.answers}
    answering = [m.name for m in view.members if any(a.member == m.name for a in view.answers)]
    emit({"output": output, "collection": view.collection, "type": view.type.value,
          "members": [m.name for m in view.members], "answering": answering,
          "certifications": view.certifications, "intervals": len(view.answers),
          "rows": len(rows), "runs": len(runs)})
    if view.type is CollectionType.CHAINED:
        what = (f"{len(view.answers)} intervals answered by {len(answering)} of"
                f" {len(view.members)} members")
    else:
        what = f"{len(view.answers)} certifications"
    message(f"wrote {output}: {what}, {len(rows)} data IDs, {len(runs)} RUNs")


# == demo ===================================================================================


@click.command()
@click.option("--plot", "plot_path", default="calibcert-demo.png", show_default=True,
              callback=output_option, help="Where to write the timeline plot.")
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
