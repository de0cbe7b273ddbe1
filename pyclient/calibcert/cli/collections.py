"""``calibcert collection`` and ``calibcert dataset-type``: collections, chains and dataset
types."""

from __future__ import annotations

import unicodedata

import click

from ..errors import error
from ..registry import Registry
from ..types import CollectionInfo, CollectionState, CollectionType
from . import changes
from .base import CONTEXT, Group, _done, _reg
from .common import (
    common_options,
    dry_run_option,
    emit,
)
from .history import as_of_option, resolve_as_of

# == collections ============================================================================


@click.group(cls=Group, context_settings=CONTEXT)
def collection() -> None:
    """Register, list, remove, copy, snapshot and chain collections; set their states and
    writers."""


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
    emit([{"name": c.name, "type": c.type.value, "doc": c.doc, "state": c.state.value,
           "writers": None if c.writers is None else list(c.writers),
           "snapshot_of": c.snapshot_of, "snapshot_epoch": c.snapshot_epoch} for c in infos],
         ["NAME", "TYPE", "STATE", "WRITERS", "SNAPSHOT", "DOC"],
         ([c.name, c.type.value, c.state.value, _writers_text(c.writers), _snapshot_text(c),
           c.doc or ""] for c in infos),
         empty="no collections")


def _snapshot_text(c: CollectionInfo) -> str:
    return "" if c.snapshot_of is None else f"of {c.snapshot_of} at epoch {c.snapshot_epoch}"


def _writers_text(writers: tuple[str, ...] | None) -> str:
    return "(every certifier)" if writers is None else ", ".join(writers)


def _info(reg: Registry, name: str) -> CollectionInfo:
    """The list_collections entry of collection ``name`` (KC002 if there is none)."""
    wanted = unicodedata.normalize("NFC", name)
    for c in reg.list_collections():
        if c.name == wanted:
            return c
    raise error("collection_missing", collection=name)


@collection.command("state")
@click.argument("name")
@click.argument("state", required=False,
                type=click.Choice([s.value for s in CollectionState], case_sensitive=False))
@common_options
@dry_run_option
def collection_state(name: str, state: str | None, dry_run: bool) -> None:
    """Show or set the state of collection NAME.

    OPEN: every change (the default). APPEND_ONLY: certify only at or after the latest
    begin of each calibration key, close open ranges, tag, insert datasets; no decertify,
    untag, chain change or removal. FROZEN: no change at all, from any role (raw SQL
    included). Without STATE print it. Setting it again to OPEN unfreezes (PostgreSQL: for
    whoever may set states)."""
    reg = _reg()
    if state is None:
        info = _info(reg, name)
        emit({"collection": info.name, "state": info.state.value}, ["COLLECTION", "STATE"],
             [[info.name, info.state.value]])
        return
    old, ch = changes.apply(reg, [name], lambda: reg.set_collection_state(name, state),
                            dry_run)
    _done(ch, {"collection": name, "state": state.upper(), "previous": old.value},
          f"collection {name}: {old.value} -> {state.upper()}")


@collection.command("writers")
@click.argument("name")
@click.argument("roles", nargs=-1)
@click.option("--all", "all_", is_flag=True,
              help="Remove the writer list: every certifier may change NAME again.")
@common_options
@dry_run_option
def collection_writers(name: str, roles: tuple[str, ...], all_: bool, dry_run: bool) -> None:
    """Show or set the roles whose members may change collection NAME (PostgreSQL only).

    With ROLES only their members (directly or through other roles) may change NAME;
    --all resets to every certifier. Without either print the list."""
    reg = _reg()
    if not roles and not all_:
        info = _info(reg, name)
        emit({"collection": info.name,
              "writers": None if info.writers is None else list(info.writers)},
             ["COLLECTION", "WRITERS"], [[info.name, _writers_text(info.writers)]])
        return
    if roles and all_:
        raise click.UsageError("give ROLES or --all, not both")
    new = list(roles) if roles else None
    old, ch = changes.apply(reg, [name], lambda: reg.set_collection_writers(name, new),
                            dry_run)
    _done(ch, {"collection": name, "writers": new,
               "previous": None if old is None else list(old)},
          f"collection {name}: writers {_writers_text(None if new is None else tuple(new))}")


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


@collection.command("snapshot")
@click.argument("source")
@click.argument("name")
@as_of_option
@common_options
@dry_run_option
def collection_snapshot(source: str, name: str, as_of: str | None, dry_run: bool) -> None:
    """Create NAME reading as SOURCE did at --as-of (default: the latest committed epoch),
    without copying anything: FROZEN for good, readable wherever a collection is (README
    "Snapshots"), on PostgreSQL and SQLite."""
    reg = _reg()
    epoch, ch = changes.apply(
        reg, [name],
        lambda: reg.snapshot_collection(source, name, as_of=resolve_as_of(reg, as_of)), dry_run)
    _done(ch, {"source": source, "collection": name, "epoch": epoch},
          f"{name}: a snapshot of {source} as of epoch {epoch}")


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
