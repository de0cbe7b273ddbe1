"""What every command module shares: the group class, the context settings, the registry
of the current command and the report of a mutation."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import exchange
from ..errors import CalibCertError
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

_T = TypeVar("_T")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Group(click.Group):
    """Commands listed in the order they are defined (the order of a workflow)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)



def _reg() -> Registry:
    ctx = click.get_current_context()
    reg = open_registry()
    ctx.call_on_close(reg.close)
    request_id = settings().request_id
    if request_id:
        # --request-id: the whole command is one transaction carrying the id, committed
        # when the command succeeds (click closes it with the exception, if any: rolled
        # back), so a rerun with the same id replays every call's result in order.
        ctx.with_resource(reg.transaction(request_id=request_id))
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


def _source(path: str) -> str:
    """How messages name an input file."""
    return "<stdin>" if path == "-" else path


def _read(path: str) -> str:
    """The text of input file ``path`` ('-': stdin), read before anything is written.

    Bad input is exit 2 with one line naming the file (and the line and column for bytes
    that are not UTF-8): a missing, unreadable or special file, a directory, bytes that are
    not UTF-8, an empty file. A UTF-8 byte-order mark is dropped."""
    name = _source(path)
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        p = Path(path)
        if p.is_dir():
            raise CliError(f"cannot read {name}: it is a directory, not a file")
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise CliError(
            f"{name}, line {line}, column {column}: not UTF-8 text (byte "
            f"0x{data[exc.start]:02x}): save the file as UTF-8") from None
    if not text.strip():
        raise CliError(f"{name}: the file is empty")
    return text


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
    if where:
        _check_where_keys(reg, dataset_type, where)
    found: dict[Any, DatasetRef] = {}
    for f in filters:
        for ref in reg.query_datasets(collection, dataset_type, f or None):
            found.setdefault(ref.id, ref)
    if required and not found:
        narrowed = f" matching {' '.join(where)}" if where else ""
        raise CliError(f"no {dataset_type!r} datasets{narrowed} in collection {collection!r}")
    return list(found.values())


def dimensions_of(reg: Registry, dataset_type: str) -> tuple[str, ...] | None:
    """The dimensions of a dataset type, or None when it does not exist (the call that
    follows then reports it, as it would without this look-up)."""
    for t in reg.list_dataset_types():
        if t.name == dataset_type:
            return t.dimensions
    return None


def _check_where_keys(reg: Registry, dataset_type: str, where: Sequence[str]) -> None:
    """--where names only dimensions of the dataset type (a misspelt key would otherwise
    match nothing, and read as "no datasets")."""
    dims = dimensions_of(reg, dataset_type)
    if dims is None:
        return
    for text in where:
        for key in where_options([text])[0]:
            if key not in dims:
                raise CliError(
                    f"--where {text}: {key!r} is not a dimension of dataset type "
                    f"{dataset_type!r}; its dimensions are {', '.join(dims)}")


def _selection_options(f: Any) -> Any:
    return click.option(
        "--where", multiple=True, metavar="KEY=VALUE",
        help="Only data IDs with these values, e.g. --where detector=3 (repeat a key for any "
             "of several values: --where detector=1 --where detector=2).")(f)


def _collection_type(reg: Registry, name: str, as_of: int | None = None) -> CollectionType:
    """The type of collection ``name`` (``as_of``: at that epoch)."""
    for c in reg.list_collections(as_of=as_of):
        if c.name == name:
            return c.type
    from ..errors import MissingCollectionError, error

    if as_of is not None:
        raise error("collection_missing_as_of", collection=name, as_of=as_of)
    raise MissingCollectionError(f"collection {name!r} does not exist", collection=name)


def read_series(path: str, fmt: str | None) -> list[dict[str, Any]]:
    """The items of a series file (certify-series, import --series), every cell checked
    (:func:`calibcert.exchange.read_series`); each item knows its file and line."""
    return exchange.read_series(_read(path), _fmt(path, fmt, "csv"), _source(path))


def located(items: Sequence[Mapping[str, Any]], run: Callable[[], _T]) -> _T:
    """``run()``, with an error that names a dataset or data ID of ``items`` (rows read
    from a file, each with its ``where``) prefixed by the file and line of that row."""
    try:
        return run()
    except CalibCertError as exc:
        places: dict[str, str] = {}
        for item in items:
            where = item.get("where")
            if not where:
                continue
            if item.get("dataset"):
                places.setdefault(str(item["dataset"]), where)
            if isinstance(item.get("data_id"), Mapping):
                places.setdefault(exchange.data_id_key(item["data_id"]), where)
        if any(exc.message.startswith(w + ":") for w in places.values()):
            raise
        err = exchange.locate(exc, places)
        if err is exc:
            raise
        raise err from exc.__cause__
