"""The ``calibcert`` command: every API operation from the shell (click)."""

from __future__ import annotations

import click

from . import certify, collections, datasets, db, explain, extras, history, lookup, transfer
from .base import CONTEXT, Group
from .common import (
    EXIT_CODES_HELP,
    Settings,
    common_options,
)

MAIN_HELP = """Certify calibration products: collections, dataset types, datasets,
certifications with validity timespans, lookups, export/import and plots.

\b
The database is chosen by --url, else $CALIBCERT_URL, else the embedded SQLite
file ($XDG_DATA_HOME/calibcert/calibcert.db, usually
~/.local/share/calibcert/calibcert.db). Lookups may be served by PostgreSQL hot
standbys: --read-url (repeatable), else $CALIBCERT_READ_URLS. Run `calibcert db
upgrade` once on a new database. Times are ISO 8601 with a timezone
(2024-03-01T12:00Z); an omitted end means unbounded. Data IDs are
KEY=VALUE[,KEY=VALUE...] (integers become ints; quote as "..." to force a string)
or a JSON object.

\b
Results go to stdout (tables, or JSON with --json), messages and errors to stderr.
Every command that changes something accepts --dry-run.
"""


@click.group(cls=Group, context_settings=CONTEXT, help=MAIN_HELP, epilog=EXIT_CODES_HELP)
@common_options
@click.version_option(package_name="calibcert", prog_name="calibcert")
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.ensure_object(Settings)


#: The commands in the order ``calibcert --help`` lists them (the order of a workflow).
for _command in (db.db, collections.collection, collections.dataset_type, datasets.datasets,
                 datasets.tag, datasets.untag, certify.certify, certify.certify_series,
                 certify.decertify, certify.close, lookup.find, lookup.list_, lookup.digest,
                 history.history, history.revert, explain.explain,
                 transfer.export_,
                 transfer.import_, extras.plot, extras.demo):
    cli.add_command(_command)
