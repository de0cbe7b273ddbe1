"""Plumbing shared by the CLI commands: options, parsing, output, exit codes, progress.

Data goes to stdout (a table, or JSON with ``--json``); messages, progress bars and errors
go to stderr. Every failure ends in :func:`fail`, which prints one line and picks the exit
code from the exception's class (see :data:`EXIT_CODES_HELP`).
"""

from __future__ import annotations

import enum
import json
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from .. import errors
from ..types import Certification, DatasetRef, Timespan, to_utc

# -- exit codes ---------------------------------------------------------------------------

EXIT_OK = 0
EXIT_CONFLICT = 1
EXIT_BAD_INPUT = 2
EXIT_CONNECTION = 3
EXIT_RETRY = 4
EXIT_INTERNAL = 5
EXIT_INTEGRITY = 6

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  conflict: overlapping certification, ambiguous lookup, definition clash,
     collection still in use, change refused by a collection's state or writer list,
     a revert that a later change stands in the way of; access denied: the login
     lacks the calibcert role (PostgreSQL's 42501)
  2  bad input: usage error, unknown collection / dataset type / dataset, bad data ID,
     bad or naive time, wrong collection type, value too large or not valid Unicode,
     unreadable or invalid input file (the message names file and line), output
     file that cannot be written; `calibcert` without a command prints its help
  3  connection or schema problem: cannot connect, connection lost, unsupported URL,
     SQLite file unusable (not a database, corrupt), schema missing or not at head
     (run `calibcert db upgrade`), `db check` not at head
  4  lock timeout or serialization failure: nothing changed, retry
  5  unexpected internal error (rerun with --traceback)
  6  `db check`: the integrity check found problems (the report is on stdout)
"""

_CONFLICTS = (
    errors.ConflictingCertificationError,
    errors.CalibrationLookupError,
    errors.ConflictingDefinitionError,
    errors.CollectionInUseError,
    errors.CollectionStateError,
    errors.AccessDeniedError,
    errors.RevertConflictError,
)
_RETRYABLE = (errors.LockTimeoutError, errors.TransactionConflictError)


class CliError(Exception):
    """An error found by the CLI itself (bad input file, unusable URL...), with its exit
    code. The library's own errors are classified by :func:`exit_code_for`."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ConnectionProblem(CliError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_CONNECTION)


def unwrap(exc: BaseException) -> BaseException:
    """The driver's own error inside a SQLAlchemy wrapper (alembic runs through SQLAlchemy)."""
    try:
        from sqlalchemy.exc import DBAPIError
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        return exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return exc.orig
    return exc


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an exception that ended a command. A driver error that
    reached the CLI raw (through alembic / SQLAlchemy) is first classified by the mapping
    the client uses (:func:`calibcert.errors.translate`)."""
    exc = errors.translate(unwrap(exc))
    if isinstance(exc, CliError):
        return exc.exit_code
    if isinstance(exc, click.UsageError):
        return EXIT_BAD_INPUT
    if isinstance(exc, _CONFLICTS):
        return EXIT_CONFLICT
    if isinstance(exc, _RETRYABLE):
        return EXIT_RETRY
    if isinstance(exc, (errors.SchemaVersionError, errors.DatabaseAccessError)):
        return EXIT_CONNECTION
    if isinstance(exc, errors.CalibCertError):
        return EXIT_BAD_INPUT
    if _is_connection_error(exc):
        return EXIT_CONNECTION
    if _is_sqlite_busy(exc):
        return EXIT_RETRY
    return EXIT_INTERNAL


def _is_connection_error(exc: BaseException) -> bool:
    """A raw driver error about reaching the database (what translate leaves alone: e.g. a
    psycopg error at connect time with a SQLSTATE of its own, such as 28P01 bad password
    or 3D000 no such database)."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    if isinstance(exc, psycopg.OperationalError):
        code = exc.sqlstate or ""
        return code == "" or code[:2] in ("08", "28", "3D", "53", "57") and code != "57014"
    return False


def _is_sqlite_busy(exc: BaseException) -> bool:
    import sqlite3

    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


_LABELS = {
    EXIT_CONFLICT: "conflict",
    EXIT_BAD_INPUT: "bad input",
    EXIT_CONNECTION: "connection",
    EXIT_RETRY: "retry",
    EXIT_INTERNAL: "internal error",
    EXIT_INTEGRITY: "integrity",
}


def error_line(exc: BaseException, code: int) -> str:
    """One readable line: ``calibcert: <category>: <message>``."""
    exc = errors.translate(unwrap(exc))
    if isinstance(exc, click.UsageError):
        message = exc.format_message()
        if exc.ctx is not None:
            message += f" (see '{exc.ctx.command_path} --help')"
    elif isinstance(exc, errors.CalibCertError):
        message = exc.message
    else:
        message = str(exc) or type(exc).__name__
        if code == EXIT_INTERNAL:
            message = f"{type(exc).__name__}: {message} (rerun with --traceback for details)"
    message = " ".join(message.split())  # one line, whatever the driver put in the message
    label = "access denied" if isinstance(exc, errors.AccessDeniedError) else _LABELS.get(
        code, "error")
    return f"calibcert: {label}: {message}"


def error_json(exc: BaseException, code: int) -> str:
    """The same error as one JSON line (stderr, with ``--json``)."""
    exc = errors.translate(unwrap(exc))
    payload: dict[str, Any] = {
        "error": type(exc).__name__,
        "exit_code": code,
        "message": error_line(exc, code).split(": ", 2)[-1],
    }
    if isinstance(exc, errors.CalibCertError) and exc.details:
        payload["details"] = jsonable(exc.details)
    return json.dumps(payload, sort_keys=True)


# -- per-invocation settings --------------------------------------------------------------


@dataclass
class Settings:
    """What the group-level and command-level common options decided."""

    url: str | None = None
    json: bool = False
    traceback: bool = False
    full_ids: bool = False
    reason: str | None = None  # history (revision 0014): why, and who, for every change
    user: str | None = None
    request_id: str | None = None  # idempotent retries: the command is one request
    read_urls: list[str] | None = None  # hot standbys for the lookups (calibcert.replicas)
    pooled: bool = False  # through PgBouncer in transaction mode: nothing left in the session


def settings() -> Settings:
    ctx = click.get_current_context()
    obj = ctx.find_object(Settings)
    if obj is None:
        obj = ctx.ensure_object(Settings)
    return obj


def _set_url(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:  # --url '' too: refused by resolve_url, never a silent fallback
        ctx.ensure_object(Settings).url = value
    return value


def _set_read_urls(ctx: click.Context, _param: click.Parameter,
                   value: tuple[str, ...]) -> tuple[str, ...]:
    if value:
        obj = ctx.ensure_object(Settings)
        obj.read_urls = [*(obj.read_urls or []), *value]
    return value


def _set_pooled(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(Settings).pooled = True
    return value


def _set_reason(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.ensure_object(Settings).reason = value
    return value


def _set_request_id(ctx: click.Context, _param: click.Parameter,
                    value: str | None) -> str | None:
    if value:
        ctx.ensure_object(Settings).request_id = value
    return value


def _set_user(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.ensure_object(Settings).user = value
    return value


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(Settings).json = True
    return value


def _set_traceback(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(Settings).traceback = True
    return value


def _set_full_ids(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(Settings).full_ids = True
    return value


URL_HELP = (
    "Database URL: postgresql://user@host/db or sqlite:///path. "
    "Default: $CALIBCERT_URL, else the embedded SQLite file "
    "($XDG_DATA_HOME/calibcert/calibcert.db, usually ~/.local/share/calibcert/calibcert.db)."
)


def common_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--url``, ``--read-url``, ``--pooled``, ``--json``, ``--full-ids``, ``--traceback``,
    ``--reason``, ``--user`` and ``--request-id``,
    accepted on the group and on every command (``calibcert --json list X`` and
    ``calibcert list X --json`` mean the same)."""
    f = click.option("--full-ids", is_flag=True, expose_value=False, callback=_set_full_ids,
                     help="Show whole dataset ids in tables (default: their first 8 "
                          "characters; JSON always has them whole).")(f)
    f = click.option("--traceback", is_flag=True, expose_value=False, callback=_set_traceback,
                     help="Show the Python traceback of an error.")(f)
    f = click.option("--json", "json_", is_flag=True, expose_value=False, callback=_set_json,
                     help="Print results as JSON (errors as one JSON line on stderr).")(f)
    f = click.option("--url", metavar="URL", expose_value=False, callback=_set_url,
                     help=URL_HELP)(f)
    f = click.option("--read-url", "read_urls", metavar="URL", multiple=True,
                     expose_value=False, callback=_set_read_urls,
                     help="A PostgreSQL hot standby of --url that serves the lookups"
                          " (repeatable; default: $CALIBCERT_READ_URLS, separated by spaces"
                          " or commas). Reads never see a state older than this command's"
                          " own writes (README \"Deploying at scale\").")(f)
    f = click.option("--pooled", is_flag=True, expose_value=False, callback=_set_pooled,
                     help="The URLs lead through a pooler in transaction mode (PgBouncer):"
                          " no prepared statements, --reason / --user set per transaction"
                          " (default: $CALIBCERT_POOLED; README \"Deploying at scale\").")(f)
    f = click.option("--reason", metavar="TEXT", expose_value=False, callback=_set_reason,
                     help="Why: recorded with every change this command makes"
                          " (calibcert history shows it).")(f)
    f = click.option("--request-id", "request_id", metavar="ID", expose_value=False,
                     callback=_set_request_id,
                     help="Run the command as one transaction carrying this request id: run"
                          " again with the same id after an unknown outcome (a lost"
                          " connection), it prints what the first run did and changes"
                          " nothing (README \"Retention and request ids\").")(f)
    f = click.option("--user", "user", metavar="NAME", expose_value=False, callback=_set_user,
                     help="Who, as the application knows them: recorded with every"
                          " change.")(f)
    return f


def dry_run_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--dry-run", is_flag=True,
        help="Show exactly what would change (rows added, closed, split, removed) and "
             "change nothing.")(f)


#: Environment variable: seconds a SQLite writer waits for the file's write lock.
BUSY_TIMEOUT_VAR = "CALIBCERT_BUSY_TIMEOUT"


def busy_timeout() -> float | None:
    """``$CALIBCERT_BUSY_TIMEOUT`` as seconds (None when unset: the backend's 10 s)."""
    import os

    text = os.environ.get(BUSY_TIMEOUT_VAR, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise CliError(f"${BUSY_TIMEOUT_VAR} must be a number of seconds >= 0, not {text!r}")
    return value


def open_registry():
    """Connect to the chosen database; connection failures become exit code 3."""
    import calibcert

    from ..urls import kind

    url = resolved_url()
    timeout = busy_timeout()
    actor = {k: v for k, v in (("reason", settings().reason), ("user", settings().user)) if v}
    if timeout is not None and kind(url) == "sqlite":
        return calibcert.connect(url, busy_timeout=timeout, **actor)
    from ..urls import resolve_read_urls

    try:
        read_urls = resolve_read_urls(settings().read_urls)
    except ValueError as exc:
        raise ConnectionProblem(str(exc)) from None
    if read_urls and kind(url) != "postgresql":
        raise ConnectionProblem("--read-url names PostgreSQL hot standbys: not for a SQLite"
                                " database")
    pooled = settings().pooled or env_flag(POOLED_VAR)
    if pooled and kind(url) == "postgresql":
        actor["pooled"] = True
    return calibcert.connect(url, read_urls=read_urls or None, **actor)


#: Environment variable: the CLI's connections go through a pooler (as --pooled).
POOLED_VAR = "CALIBCERT_POOLED"


def env_flag(name: str) -> bool:
    """An on/off environment variable: set and not one of "", 0, false, no, off."""
    import os

    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def resolved_url() -> str:
    from ..urls import kind, resolve_url

    url = resolve_url(settings().url)
    kind(url)  # an unsupported URL: DatabaseAccessError, exit 3
    return url


# -- output files -------------------------------------------------------------------------


def check_output(path: str) -> None:
    """Refuse an output file that cannot be written, before any work is done (exit 2): a
    directory, a missing folder, no permission. ``-`` (stdout) passes. What only writing
    finds out (a full disk, a special file) is :func:`write_failed`'s."""
    if path == "-":
        return
    p = Path(path)
    if p.is_dir():
        raise CliError(f"cannot write {path}: it is a directory")
    folder = p.parent
    if not folder.is_dir():
        why = "does not exist" if not folder.exists() else "is not a folder"
        raise CliError(f"cannot write {path}: the folder {folder} {why}")
    if not os.access(p if p.exists() else folder, os.W_OK):
        raise CliError(f"cannot write {path}: permission denied")


def output_option(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """Callback of an output-file option: :func:`check_output` as the command line is read."""
    check_output(value)
    return value


def write_failed(path: str, exc: OSError) -> CliError:
    """The one-line error of an output file that could not be written after all."""
    return CliError(f"cannot write {path}: {exc.strerror or exc}")


# -- parsing ------------------------------------------------------------------------------

_INT = re.compile(r"^[+-]?\d+$")


def parse_value(text: str) -> int | str:
    """A data-ID value: an integer literal becomes an int; ``"..."`` (JSON) forces a str."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise click.BadParameter(
                f"value {text} is not a valid JSON string: {exc}") from None
        return str(value)
    if _INT.match(text):
        return int(text)
    return text


def parse_pairs(text: str, what: str) -> dict[str, int | str]:
    """``key=value,key=value`` or a JSON object, as a dict."""
    text = text.strip()
    if text.startswith("{"):
        from ..exchange import loads_json

        try:
            value = loads_json(text)
        except errors.InvalidArgumentError as exc:  # a repeated key
            raise click.BadParameter(f"{what} {text!r}: {exc.message}") from None
        except ValueError as exc:
            raise click.BadParameter(f"{what} {text!r} is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise click.BadParameter(f"{what} must be a JSON object")
        return value
    out: dict[str, int | str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{what} {text!r}: expected KEY=VALUE[,KEY=VALUE...] or a JSON object")
        if key.strip() in out:
            raise click.BadParameter(
                f"{what} {text!r}: the key {key.strip()!r} is given twice: ambiguous, which"
                " value is meant?")
        out[key.strip()] = parse_value(value.strip())
    return out


def parse_time(text: str, what: str = "time") -> datetime:
    """An ISO 8601 instant with a timezone (``Z`` or ``+HH:MM``); naive times are refused."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{what} {text!r} is not an ISO 8601 time (e.g. 2024-03-01T12:00:00Z)") from None
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise click.BadParameter(
            f"{what} {text!r} has no timezone: add one, e.g. {text}Z or {text}+00:00")
    try:
        return to_utc(value, what)
    except errors.InvalidTimespanError as exc:  # out of range in UTC
        raise click.BadParameter(exc.message) from None


def parse_optional_time(text: str | None, what: str) -> datetime | None:
    if text is None or text.strip() == "" or text.strip().lower() in ("none", "null"):
        return None
    return parse_time(text, what)


class TimeType(click.ParamType):
    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(value, "time")
        except click.BadParameter as exc:
            self.fail(exc.message, param, ctx)


class AtType(click.ParamType):
    """An instant, or ``BEGIN/END`` for a timespan (either side may be empty: unbounded)."""

    name = "TIME|BEGIN/END"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, (datetime, Timespan)):
            return value
        try:
            if "/" in value:
                begin, _, end = value.partition("/")
                return Timespan(parse_optional_time(begin, "begin"),
                                parse_optional_time(end, "end"))
            return parse_time(value, "time")
        except click.BadParameter as exc:
            self.fail(exc.message, param, ctx)
        except errors.InvalidTimespanError as exc:
            self.fail(exc.message, param, ctx)


class PairsType(click.ParamType):
    """A full data ID: ``key=value,key=value`` or a JSON object."""

    name = "KEY=VALUE[,...]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, dict):
            return value
        try:
            return parse_pairs(value, "data ID")
        except click.BadParameter as exc:
            self.fail(exc.message, param, ctx)


TIME = TimeType()
AT = AtType()
DATA_ID = PairsType()


def where_options(values: Sequence[str]) -> list[dict[str, int | str]]:
    """``--where key=value`` options as a list of filters: repeating a key means "any of
    these values" (the filters are the product over keys)."""
    by_key: dict[str, list[int | str]] = {}
    for text in values:
        for key, value in parse_pairs(text, "--where").items():
            by_key.setdefault(key, [])
            if value not in by_key[key]:
                by_key[key].append(value)
    filters: list[dict[str, int | str]] = [{}]
    for key, vals in by_key.items():
        filters = [{**f, key: v} for f in filters for v in vals]
    return filters


# -- output -------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Plain JSON values for refs, certifications, timespans, UUIDs, datetimes."""
    if isinstance(value, DatasetRef):
        return {"id": str(value.id), "dataset_type": value.dataset_type,
                "data_id": dict(sorted(value.data_id.items())), "run": value.run}
    if isinstance(value, Certification):
        return {"collection": value.collection, **jsonable(value.ref),
                "begin": iso(value.timespan.begin), "end": iso(value.timespan.end)}
    if isinstance(value, Timespan):
        return {"begin": iso(value.begin), "end": iso(value.end)}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a ``Z`` suffix (microseconds only when non-zero)."""
    if value is None:
        return None
    return to_utc(value).isoformat().replace("+00:00", "Z")


def show_time(value: datetime | None, unbounded: str) -> str:
    return unbounded if value is None else iso(value) or ""


def show_span(ts: Timespan) -> str:
    return f"[{show_time(ts.begin, '-inf')}, {show_time(ts.end, '+inf')})"


def show_data_id(data_id: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(data_id.items()))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces, with a header rule."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))

    def line(vals: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(vals, widths, strict=False)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def emit(json_value: Any, headers: Sequence[str] | None = None,
         rows: Iterable[Sequence[Any]] | None = None, empty: str | None = None) -> None:
    """Print results on stdout: JSON with --json, else a table (or ``empty`` on stderr)."""
    if settings().json:
        click.echo(json.dumps(jsonable(json_value), indent=2, ensure_ascii=False))
        return
    if headers is None or rows is None:
        return
    rows = list(rows)
    if not rows:
        if empty:
            message(empty)
        return
    click.echo(table(headers, rows))


def message(text: str) -> None:
    """A message for people (stderr)."""
    click.echo(text, err=True)


def fail(message_text: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    raise CliError(message_text, code)


# -- progress -----------------------------------------------------------------------------


class _NoBar:
    def update(self, n: int) -> None:
        pass


@contextmanager
def progress(total: int, label: str, threshold: int = 2000) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal and the job is large; else a no-op."""
    if total < threshold or not sys.stderr.isatty():
        yield _NoBar()
        return
    with click.progressbar(length=total, label=label, file=sys.stderr,
                           show_pos=True, show_eta=True) as bar:
        yield bar


def short_id(value: uuid.UUID | str) -> str:
    return str(value)[:8]


def show_id(value: uuid.UUID | str) -> str:
    """A dataset id as tables show it: 8 characters, or whole with ``--full-ids``."""
    return str(value) if settings().full_ids else short_id(value)
