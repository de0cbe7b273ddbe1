"""History on the command line (README "History and time travel"): ``--as-of`` for
``find`` and ``list``, ``calibcert history`` and ``calibcert revert`` (both backends)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import click

from ..registry import Registry
from .base import _reg
from .common import (
    DATA_ID,
    common_options,
    dry_run_option,
    emit,
    iso,
    message,
    parse_time,
    show_data_id,
    show_id,
    show_span,
)

AS_OF_HELP = ("Answer as of EPOCH (an integer: calibcert history shows them), or as of the"
              " last epoch committed at or before TIME.")


def as_of_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as-of", "as_of", metavar="EPOCH|TIME", help=AS_OF_HELP)(f)


def resolve_as_of(reg: Registry, value: str | None) -> int | None:
    """``--as-of``: None, an epoch (digits), or a time (its epoch: ``epoch_at``)."""
    if value is None:
        return None
    if re.fullmatch(r"\s*[0-9]+\s*", value):
        return int(value)
    return reg.epoch_at(parse_time(value, "--as-of time"))


@click.command()
@click.argument("collection")
@click.option("--dataset-type", help="Only this dataset type.")
@click.option("-d", "--data-id", "data_id", type=DATA_ID,
              help="Only this data ID (needs --dataset-type).")
@click.option("--since", type=int, metavar="EPOCH", help="Only changes at or after EPOCH.")
@click.option("--until", type=int, metavar="EPOCH", help="Only changes at or before EPOCH.")
@common_options
def history(collection: str, dataset_type: str | None, data_id: dict | None,
            since: int | None, until: int | None) -> None:
    """The changes of COLLECTION (also a removed one), oldest first: epoch, time, who,
    why, the operation and what it changed."""
    rows = _reg().history(collection, dataset_type, data_id, since, until)
    emit([asdict(r) for r in rows],
         ["EPOCH", "COMMITTED", "ROLE", "USER", "REASON", "OPERATION", "WHAT", "BEFORE",
          "AFTER", "REQUEST"],
         ([r.epoch if r.epoch is not None else "(pending)", iso(r.committed_at) or "",
           r.db_role or "", r.app_user or "", r.reason or "", r.operation, _what(r),
           _side(r.validity_before, r.detail, "before"),
           _side(r.validity_after, r.detail, "after"), r.request_id or ""] for r in rows),
         empty=f"no changes of {collection!r}")


def _what(row: Any) -> str:
    if row.dataset_type is not None:
        return f"{row.dataset_type} {show_data_id(row.data_id)} {show_id(row.dataset_id)}"
    detail = row.detail or {}
    if detail.get("what") == "chain":
        return f"chain position {detail.get('position')}"
    return "collection"


def _side(span: Any, detail: dict | None, side: str) -> str:
    if span is not None:
        return show_span(span)
    detail = detail or {}
    what = detail.get("what")
    if what == "chain":
        return detail.get(f"child_{side}") or "-"
    if what == "collection":
        state = detail.get(side)
        return "-" if state is None else f"{state['type']} {state['state']}"
    if what in ("tag", "dataset"):
        present = detail.get("tagged", detail.get("present"))
        return ("present" if present else "-") if side == "after" else (
            "-" if present else "present")
    return "-"


@click.command()
@click.argument("epoch", type=int)
@dry_run_option
@common_options
def revert(epoch: int, dry_run: bool) -> None:
    """Undo the change committed as EPOCH (calibcert history shows them) by committing its
    inverse as a new change: what it created is removed, what it removed or changed is
    restored. A later change in the way fails it and nothing is changed (exit 1). Needs
    calib_admin on PostgreSQL (SQLite has no roles). The reason is --reason, else 'revert
    of epoch EPOCH'."""
    rows = _reg().revert(epoch, dry_run=dry_run)
    emit([asdict(r) for r in rows], ["ACTION", "COLLECTION", "WHAT", "VALIDITY"],
         ([r.action, r.collection, _revert_what(r),
           show_span(r.validity) if r.validity is not None else ""] for r in rows),
         empty=f"epoch {epoch} changed nothing that can be reverted")
    if rows:
        message(f"{'would revert' if dry_run else 'reverted'} epoch {epoch}: {len(rows)} rows"
                + (" (dry run: nothing changed)" if dry_run else ""))


def _revert_what(row: Any) -> str:
    if row.dataset_type is not None:
        return f"{row.dataset_type} {show_data_id(row.data_id)} {show_id(row.dataset)}"
    detail = row.detail or {}
    if "position" in detail:
        return f"position {detail['position']}: {detail.get('child')}"
    writers = detail.get("writers")
    return (f"{detail.get('type')} {detail.get('state')}"
            + ("" if writers is None else f" writers {', '.join(writers)}"))
