"""The ``calibcert`` command line (``calibcert ...`` or ``python -m calibcert ...``).

:func:`main` is the console-script entry point: it runs the click group and turns every
failure into one line on stderr and a documented exit code (see ``calibcert --help``).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import click

from .app import cli
from .common import EXIT_INTERNAL, error_json, error_line, exit_code_for
from .common import env_flag as _env_flag

__all__ = ["cli", "main", "run"]

#: click's error for a group called without a command (click < 8.2 prints the help and
#: exits 0 itself: nothing to catch).
_NO_COMMAND: type[click.UsageError] | tuple[()] = getattr(
    click.exceptions, "NoArgsIsHelpError", ())


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    want_traceback = "--traceback" in args or _env_flag("CALIBCERT_TRACEBACK")
    want_json = "--json" in args
    try:
        rv = cli.main(args=args, prog_name="calibcert", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except _NO_COMMAND as exc:
        # `calibcert` (or a command group) without a command: its whole help on stderr and
        # exit 2, as click does (click >= 8.2), not squashed into one error line.
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("calibcert: aborted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("calibcert: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a message.
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except Exception as exc:
        code = exit_code_for(exc)
        if want_traceback or code == EXIT_INTERNAL and _env_flag("CALIBCERT_DEBUG"):
            traceback.print_exc(file=sys.stderr)
        click.echo(error_json(exc, code) if want_json else error_line(exc, code), err=True)
        return code


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    sys.exit(run(argv))
