"""``calibcert db``: create, upgrade and check the schema."""

from __future__ import annotations

import click

from .base import CONTEXT, Group
from .common import (
    EXIT_BAD_INPUT,
    EXIT_CONNECTION,
    EXIT_INTEGRITY,
    CliError,
    common_options,
    dry_run_option,
    emit,
    iso,
    message,
    open_registry,
    resolved_url,
    settings,
)

# == db =====================================================================================


@click.group(cls=Group, context_settings=CONTEXT)
def db() -> None:
    """Schema: create or upgrade it, show its revision, check its health, statistics."""


def _revisions() -> tuple[str, str | None, str]:
    from .. import migrate

    url = resolved_url()
    return url, migrate.current(url), migrate.head()


@db.command("upgrade")
@common_options
@dry_run_option
@click.option("--sql", "sql", is_flag=True,
              help="PostgreSQL only: change nothing, print the SQL of the upgrade (each "
                   "step's frozen file and the revision bookkeeping) for a DBA to review and "
                   "apply with `psql -X -v ON_ERROR_STOP=1 -1 -f FILE`.")
@click.option("--from", "from_rev", metavar="REV",
              help="With --sql: the revision the database is at ('base' for an empty "
                   "database; default: read from the database).")
@click.option("--to", "to_rev", metavar="REV", default="head", show_default=True,
              help="With --sql: the revision to upgrade to.")
@click.option("--role-prefix", "role_prefix", metavar="PREFIX",
              help="PostgreSQL, first install: this database's service roles are "
                   "PREFIX_reader, PREFIX_certifier and PREFIX_admin (default: calib), so that "
                   "calibcert databases of one cluster are granted separately (README "
                   "\"Roles\"). Fixed at the first install; a different one is refused later.")
def db_upgrade(dry_run: bool, sql: bool, from_rev: str | None, to_rev: str,
               role_prefix: str | None) -> None:
    """Create the schema, or bring it to the newest revision (works on an empty database
    and on the embedded default file).

    With --dry-run the upgrade runs for real inside a transaction that is rolled back: it
    lists the revisions it would apply and the schema objects (tables, columns, indexes,
    functions, triggers...) it would add, remove or change, and changes nothing."""
    from .. import migrate
    from ..urls import kind

    if role_prefix is not None and kind(resolved_url()) != "postgresql":
        raise CliError("--role-prefix names PostgreSQL roles; SQLite has no roles",
                       EXIT_BAD_INPUT)
    if sql:
        _upgrade_sql(from_rev, to_rev, dry_run, role_prefix)
        return
    if from_rev is not None or to_rev != "head":
        raise CliError("--from and --to go with --sql", EXIT_BAD_INPUT)
    if dry_run:
        _preview(migrate.preview_upgrade(resolved_url(), role_prefix=role_prefix))
        return
    url, current, head = _revisions()
    result = {"from": current, "to": head, "changed": current != head}
    try:
        migrate.upgrade(url, role_prefix=role_prefix)
    except Exception as exc:
        refused = _refused_prefix(exc) if role_prefix is not None else None
        if refused is None:
            raise
        raise CliError(refused, EXIT_BAD_INPUT) from None
    if settings().json:
        emit(result)
    message(f"database at revision {head} (head)" + ("" if current != head else ", unchanged"))


def _refused_prefix(exc: Exception) -> str | None:
    """The reason a --role-prefix was refused, or None for any other failure: a prefix that
    differs from the installed one (migrations/env.py: ValueError; sql/schema/roles.sql:
    55000) or that is not a role-name prefix (roles.sql: 22023)."""
    if isinstance(exc, ValueError):
        return str(exc)
    error = getattr(exc, "orig", exc)  # the driver's error, maybe wrapped by SQLAlchemy
    if getattr(error, "sqlstate", None) in ("22023", "55000"):
        return str(error).splitlines()[0]
    return None


def _upgrade_sql(from_rev: str | None, to_rev: str, dry_run: bool,
                 role_prefix: str | None) -> None:
    """Print the upgrade script (stdout); say what it does (stderr)."""
    from alembic.util import CommandError

    from .. import migrate
    from ..urls import kind

    if dry_run:
        raise CliError("--sql changes nothing already: leave out --dry-run", EXIT_BAD_INPUT)
    url = resolved_url()
    if kind(url) != "postgresql":
        raise CliError("--sql prints an upgrade script for psql and is for PostgreSQL only; "
                       "upgrade a SQLite database with `calibcert db upgrade`", EXIT_BAD_INPUT)
    if from_rev is None:
        try:
            from_rev = migrate.current(url)
        except Exception as exc:  # noqa: BLE001 - any failure to read it: say what to do
            raise CliError(f"cannot read the database's revision ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}); give it with "
                           "--from REV (--from base for an empty database)",
                           EXIT_CONNECTION) from None
    try:
        text = migrate.upgrade_sql(url, from_rev, to_rev, role_prefix)
    except (ValueError, CommandError) as exc:
        raise CliError(str(exc), EXIT_BAD_INPUT) from None
    click.echo(text, nl=False)
    message(f"upgrade script from {from_rev or 'an empty database'} to {to_rev} printed; "
            "nothing was changed")


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
    """Check the database: its schema revision (exit 3 unless at head), then every
    invariant, re-verified from the tables (check_integrity): a report of each violation,
    one row per problem with its check and detail, and exit 6 if there is any (for
    deployment and monitoring scripts). Exit 0: at head and healthy. Read-only."""
    import json

    _, current, head = _revisions()
    revision = {"current": current, "head": head, "at_head": current == head}
    if current != head:
        emit(revision, ["CURRENT", "HEAD", "AT HEAD"],
             [[current or "(none)", head, current == head]])
        raise CliError(f"schema is at {current or 'no revision'}, head is {head}: run "
                       "`calibcert db upgrade`", EXIT_CONNECTION)
    with open_registry() as reg:
        problems = reg.check_integrity()
    emit({**revision, "healthy": not problems,
          "problems": [{"check": p.check, "detail": p.detail} for p in problems]},
         ["CHECK", "DETAIL"],
         ([p.check, json.dumps(p.detail, ensure_ascii=False, sort_keys=True)]
          for p in problems))
    if problems:
        checks = sorted({p.check for p in problems})
        raise CliError(f"integrity check failed: {len(problems)} problem"
                       f"{'s' if len(problems) != 1 else ''} ({', '.join(checks)}); see "
                       "README \"Integrity check and statistics\"", EXIT_INTEGRITY)
    message(f"database at revision {head} (head); integrity check: no problem found")


@db.command("stats")
@common_options
def db_stats() -> None:
    """Statistics of every collection (collection_stats): its state, datasets of a RUN, tags
    of a TAGGED collection, certifications, distinct calibration keys, open-ended ranges and
    the time covered by a CALIBRATION collection (empty when unbounded or none), children
    of a CHAINED one. Read-only."""
    with open_registry() as reg:
        stats = reg.collection_stats()
    emit([{"name": s.name, "type": s.type, "state": s.state, "datasets": s.datasets,
           "tagged": s.tagged,
           "certifications": s.certifications, "calibration_keys": s.calibration_keys,
           "open_ended": s.open_ended, "earliest_begin": s.earliest_begin,
           "latest_end": s.latest_end, "children": s.children} for s in stats],
         ["NAME", "TYPE", "STATE", "DATASETS", "TAGGED", "CERTIFICATIONS", "KEYS",
          "OPEN-ENDED", "EARLIEST BEGIN", "LATEST END", "CHILDREN"],
         ([s.name, s.type.value, s.state.value, s.datasets, s.tagged, s.certifications,
           s.calibration_keys, s.open_ended, iso(s.earliest_begin), iso(s.latest_end), s.children]
          for s in stats), empty="no collections")


@db.command("prune-history")
@common_options
@dry_run_option
@click.option("--before", "before", required=True, metavar="EPOCH|TIME",
              help="Keep the history from EPOCH on (or from the last epoch committed at or"
                   " before TIME): as-of reads at earlier epochs are refused afterwards.")
def db_prune_history(before: str, dry_run: bool) -> None:
    """Drop the history older than an epoch (PostgreSQL: the admin role; SQLite: whoever
    may write the file; README "Retention and request ids"): closed versions removed before
    it and the changes nothing refers to any more. As-of reads at the epochs kept answer
    exactly as before; earlier ones fail with as_of_pruned. With --dry-run the prune runs in
    a transaction that is rolled back."""
    from .history import resolve_as_of

    with open_registry() as reg:
        epoch = resolve_as_of(reg, before)
        if epoch is None:  # pragma: no cover - --before is required
            raise CliError("--before is required")
        dropped = _dry_prune(reg, epoch) if dry_run else reg.prune_history(epoch)
    emit({"before": epoch, "versions_dropped": dropped, "dry_run": dry_run},
         ["BEFORE", "VERSIONS DROPPED"], [[epoch, dropped]])
    message(f"{'would drop' if dry_run else 'dropped'} {dropped} version"
            f"{'s' if dropped != 1 else ''}; history kept from epoch {epoch} on")


class _Undo(Exception):
    """Rolls back a dry run's transaction."""


def _dry_prune(reg, epoch: int) -> int:
    dropped = 0
    try:
        with reg.transaction():
            dropped = reg.prune_history(epoch)
            raise _Undo
    except _Undo:
        pass
    return dropped
