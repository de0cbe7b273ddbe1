"""``calibcert demo``: a realistic calibration-management session, end to end.

The demo plays an operator looking after the calibrations of a small camera, "DemoCam",
with four detectors and two filters. Every step is a real ``calibcert`` command, run
in-process and printed before it runs, so the transcript doubles as a tutorial:

1. create the schema (``db upgrade``) on a fresh database;
2. register the dataset types ``bias`` and ``flat`` and the collections: two RUNs the
   calibration pipeline wrote into, a CALIBRATION collection to curate, and the CHAINED
   collection ``DemoCam/calib`` that processing uses as "the default calibrations";
3. put January biases and flats into the first RUN and certify them from 2024-01-01 with
   open ends;
4. put newer March products into the second RUN and certify them with ``--close-open``,
   which ends the January ones where the March ones begin;
5. preview (``--dry-run``) and then decertify a bad night of biases: each open validity is
   split around the night;
6. freeze the curated collection as a release (``collection copy``) and make the chain
   point at it;
7. list the release, look up the calibrations for a list of exposure times, and write the
   validity timeline plot.

Target: the embedded default SQLite file unless ``--url`` / ``$CALIBCERT_URL`` says
otherwise. A SQLite target is deleted and recreated when it is absent, empty or a previous
demo database; any other content is kept unless ``replace=True``. A PostgreSQL target must
not hold the demo's collections yet.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Sequence
from pathlib import Path

import click

from .urls import kind, sqlite_path

PREFIX = "DemoCam/"
INSTRUMENT = "DemoCam"
DETECTORS = (0, 1, 2, 3)
FILTERS = ("g", "r")
RUN_JAN = "DemoCam/calib/run/2024-01"
RUN_MAR = "DemoCam/calib/run/2024-03"
CURATION = "DemoCam/calib/curation"
RELEASE = "DemoCam/calib/v1"
DEFAULT = "DemoCam/calib"
EXPOSURES = ("2023-12-30T05:00:00Z", "2024-01-20T03:00:00Z", "2024-02-11T02:30:00Z",
             "2024-03-05T04:00:00Z")


def _bias_ids() -> list[str]:
    out: list[str] = []
    for d in DETECTORS:
        out += ["-d", f"instrument={INSTRUMENT},detector={d}"]
    return out


def _flat_ids() -> list[str]:
    out: list[str] = []
    for d in DETECTORS:
        for f in FILTERS:
            out += ["-d", f"instrument={INSTRUMENT},detector={d},physical_filter={f}"]
    return out


def steps(plot_path: str) -> list[tuple[str, list[str]]]:
    """The demo's commands: (what it shows, calibcert arguments)."""
    lookups: list[str] = []
    for d in (0, 2):
        lookups += ["-d", f"instrument={INSTRUMENT},detector={d}"]
    for t in EXPOSURES:
        lookups += ["--at", t]
    return [
        ("Create the schema on the fresh database", ["db", "upgrade"]),
        ("Register the dataset types (data-ID keys in order)",
         ["dataset-type", "register", "bias", "instrument", "detector"]),
        ("", ["dataset-type", "register", "flat", "instrument", "detector", "physical_filter"]),
        ("Register the collections: RUNs the pipeline writes into, a CALIBRATION collection "
         "to curate, the CHAINED default", ["collection", "register", RUN_JAN, "RUN"]),
        ("", ["collection", "register", RUN_MAR, "RUN"]),
        ("", ["collection", "register", CURATION, "CALIBRATION",
              "--doc", "working copy of DemoCam calibrations"]),
        ("", ["collection", "register", DEFAULT, "CHAINED",
              "--doc", "default calibrations for DemoCam processing"]),
        ("January: the calibration pipeline puts biases and flats into a RUN",
         ["datasets", "insert", "bias", RUN_JAN, *_bias_ids()]),
        ("", ["datasets", "insert", "flat", RUN_JAN, *_flat_ids()]),
        ("Certify all of them from 2024-01-01, valid until further notice (open end)",
         ["certify", RUN_JAN, CURATION, "bias", "--begin", "2024-01-01T00:00:00Z"]),
        ("", ["certify", RUN_JAN, CURATION, "flat", "--begin", "2024-01-01T00:00:00Z"]),
        ("March: newer products. Certify them with --close-open, which ends the January "
         "ones where these begin (only the r-band flats passed review)",
         ["datasets", "insert", "bias", RUN_MAR, *_bias_ids()]),
        ("", ["datasets", "insert", "flat", RUN_MAR, *_flat_ids()]),
        ("", ["certify", RUN_MAR, CURATION, "bias", "--begin", "2024-03-01T00:00:00Z",
              "--close-open"]),
        ("", ["certify", RUN_MAR, CURATION, "flat", "--begin", "2024-03-01T00:00:00Z",
              "--close-open", "--where", "physical_filter=r"]),
        ("The biases of the night of 2024-02-10 were bad: preview, then decertify that night",
         ["decertify", CURATION, "bias", "--begin", "2024-02-10T12:00:00Z",
          "--end", "2024-02-11T12:00:00Z", "--dry-run"]),
        ("", ["decertify", CURATION, "bias", "--begin", "2024-02-10T12:00:00Z",
              "--end", "2024-02-11T12:00:00Z"]),
        ("Freeze the curated state as release v1 and make it the default",
         ["collection", "copy", CURATION, RELEASE, "--doc", "DemoCam calibrations, release 1"]),
        ("", ["collection", "chain", DEFAULT, RELEASE]),
        ("What the default calibrations hold now (biases)",
         ["list", DEFAULT, "--dataset-type", "bias"]),
        ("Which bias does each exposure get? (before 2024: none; the bad night: none)",
         ["find", DEFAULT, "bias", *lookups]),
        ("", ["find", DEFAULT, "flat", "-d",
              f"instrument={INSTRUMENT},detector=0,physical_filter=g",
              "-d", f"instrument={INSTRUMENT},detector=0,physical_filter=r",
              *[a for t in EXPOSURES[1:] for a in ("--at", t)]]),
        ("The validity timeline", ["plot", DEFAULT, "-o", plot_path]),
    ]


def _remove_sqlite(path: Path) -> None:
    for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if p.exists():
            p.unlink()


def _only_demo(url: str) -> bool:
    """True if the database at ``url`` holds nothing but demo collections."""
    import calibcert

    try:
        reg = calibcert.connect(url)
    except Exception:
        return False
    try:
        return all(c.name.startswith(PREFIX) for c in reg.list_collections()) and all(
            t.name in ("bias", "flat") for t in reg.list_dataset_types())
    finally:
        reg.close()


def prepare(url: str, replace: bool) -> None:
    """Make ``url`` a fresh target (see the module docstring)."""
    from .cli.common import EXIT_CONFLICT, EXIT_CONNECTION, CliError

    if kind(url) == "sqlite":
        path = Path(sqlite_path(url))
        if path.is_dir():
            raise CliError(f"cannot open the SQLite database {path}: it is a directory",
                           EXIT_CONNECTION)
        if path.exists() and path.stat().st_size > 0 and not replace and not _only_demo(url):
            raise CliError(
                f"{path} holds data that is not from a previous demo; use "
                "`calibcert demo --url sqlite:///other.db`, or --replace to overwrite it",
                EXIT_CONFLICT)
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_sqlite(path)
        return
    import calibcert

    calibcert.upgrade(url)
    reg = calibcert.connect(url)
    try:
        taken = [c.name for c in reg.list_collections() if c.name.startswith(PREFIX)]
    finally:
        reg.close()
    if taken:
        raise CliError(f"this database already holds the demo's collections ({taken[0]}, ...): "
                       "run the demo on a fresh database", EXIT_CONFLICT)


def run_demo(url: str, cli: click.Command, plot_path: str = "calibcert-demo.png",
             replace: bool = False,
             commands: Sequence[tuple[str, list[str]]] | None = None) -> None:
    """Run the demo against ``url`` (already resolved), printing every step; ``cli`` is the
    ``calibcert`` command group that runs each step."""
    from .cli.common import Settings

    started = time.monotonic()
    prepare(url, replace)
    target = "the embedded default database" if _is_default(url) else url
    click.secho(f"calibcert demo on {target} ({url})", err=True, bold=True)
    for title, args in commands if commands is not None else steps(plot_path):
        if title:
            click.secho(f"\n# {title}", err=True, fg="cyan")
        click.secho(f"$ calibcert {shlex.join(args)}", err=True, bold=True)
        cli.main(args=args, prog_name="calibcert", standalone_mode=False,
                 obj=Settings(url=url))
    elapsed = time.monotonic() - started
    click.secho(f"\ndemo finished in {elapsed:.1f}s. Try: calibcert list {DEFAULT}"
                + ("" if _is_default(url) else f" --url {shlex.quote(url)}"), err=True, fg="green")


def _is_default(url: str) -> bool:
    from .urls import default_sqlite_path

    return not os.environ.get("CALIBCERT_URL") and url == f"sqlite:///{default_sqlite_path()}"
