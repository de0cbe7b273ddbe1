"""What every command module shares: the group class, the context settings, the registry
of the current command and the report of a mutation."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ..registry import Registry
from ..types import CollectionType, DatasetRef
from . import changes
from .common import (
    CliError,
    emit,
    message,
    open_registry,
    settings,
    show_data_id,
    show_id,
    where_options,
)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Group(click.Group):
    """Commands listed in the order they are defined (the order of a workflow)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)



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


def _refs_out(refs: Sequence[DatasetRef]) -> None:
    emit(refs, ["DATASET", "DATASET TYPE", "DATA ID", "RUN"],
         ([show_id(r.id), r.dataset_type, show_data_id(r.data_id), r.run] for r in refs),
         empty="no datasets")


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


def _collection_type(reg: Registry, name: str) -> CollectionType:
    for c in reg.list_collections():
        if c.name == name:
            return c.type
    from ..errors import MissingCollectionError

    raise MissingCollectionError(f"collection {name!r} does not exist", collection=name)
