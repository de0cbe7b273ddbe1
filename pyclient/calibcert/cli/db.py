"""``calibcert db``: create, upgrade and check the schema."""

from __future__ import annotations

import click

from .base import CONTEXT, Group
from .common import (
    EXIT_CONNECTION,
    CliError,
    common_options,
    dry_run_option,
    emit,
    message,
    resolved_url,
    settings,
)

# == db =====================================================================================


@click.group(cls=Group, context_settings=CONTEXT)
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
    and on the embedded default file).

    With --dry-run the upgrade runs for real inside a transaction that is rolled back: it
    lists the revisions it would apply and the schema objects (tables, columns, indexes,
    functions, triggers...) it would add, remove or change, and changes nothing."""
    from .. import migrate

    if dry_run:
        _preview(migrate.preview_upgrade(resolved_url()))
        return
    url, current, head = _revisions()
    result = {"from": current, "to": head, "changed": current != head}
    migrate.upgrade(url)
    if settings().json:
        emit(result)
    message(f"database at revision {head} (head)" + ("" if current != head else ", unchanged"))


def _preview(p) -> None:
    """Print an upgrade preview (stdout) and say that nothing was changed (stderr)."""
    revisions = [r["revision"] for r in p.revisions]
    result = {"from": p.before, "to": p.after, "changed": p.changed, "revisions": revisions}
    rows = [{"action": "apply", "kind": "revision", "name": r["revision"], "detail": r["doc"]}
            for r in p.revisions] + p.changes
    emit({"dry_run": True, "result": result, "changes": rows}, ["ACTION", "KIND", "NAME", "DETAIL"],
         ([r["action"], r["kind"], r["name"], r["detail"]] for r in rows))
    if not p.changed:
        message(f"dry run: database at revision {p.after or '(none)'}, nothing to upgrade; "
                "nothing was changed")
        return
    counts: dict[str, int] = {}
    for c in p.changes:
        counts[c["action"]] = counts.get(c["action"], 0) + 1
    objects = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "no"
    message(f"dry run: would upgrade {p.before or 'empty'} → {p.after} ({len(revisions)} "
            f"revision{'s' if len(revisions) != 1 else ''}: {', '.join(revisions)}; "
            f"{objects} schema objects); nothing was changed")


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
