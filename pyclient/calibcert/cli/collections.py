"""``calibcert collection`` and ``calibcert dataset-type``: collections, chains and dataset
types."""

from __future__ import annotations

import click

from ..types import CollectionType
from . import changes
from .base import CONTEXT, Group, _done, _reg
from .common import (
    common_options,
    dry_run_option,
    emit,
)

# == collections ============================================================================


@click.group(cls=Group, context_settings=CONTEXT)
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


@click.group("dataset-type", cls=Group, context_settings=CONTEXT)
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
