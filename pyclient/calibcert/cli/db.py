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
