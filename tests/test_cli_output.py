"""What ``calibcert`` prints: dataset ids in tables (8 characters, whole with
``--full-ids``), ``list --dataset-type``, ``datasets show``, ``dataset-type list``, the
plot command's options and PDF output, and an unexpected internal error (exit 5, a
traceback only when asked for). Real processes, as in tests/test_cli.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from calibcert import cli as cli_module
from test_cli import (
    CALIB,
    CHAIN,
    RUN,
    RUN2,
    Result,
    _env,
    _one_line_error,
    _setup,
    cli,
    ok,
)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def home(tmp_path) -> Path:
    """HOME and XDG_DATA_HOME of the processes (as in tests/test_cli.py)."""
    h = tmp_path / "home"
    (h / "data").mkdir(parents=True)
    return h


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request) -> str:
    """A fresh, migrated database of each backend in turn (committed)."""
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


def rows(out: str) -> list[dict[str, str]]:
    """A table printed by calibcert as dicts by header (columns found from the rule line)."""
    lines = out.splitlines()
    assert len(lines) >= 2 and set(lines[1]) <= {"-", " "}, out
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]
    cut = [(a, spans[i + 1][0] if i + 1 < len(spans) else None) for i, (a, _) in
           enumerate(spans)]
    headers = [lines[0][a:b].strip() for a, b in cut]
    return [{h: line[a:b].strip() for h, (a, b) in zip(headers, cut, strict=True)}
            for line in lines[2:]]


def _world(home: Path, url: str) -> None:
    """tests/test_cli.py's setup, plus flats: biases certified from RUN, flats from RUN2."""
    _setup(home, url)
    ok(home, url, "dataset-type", "register", "flat", "instrument", "detector", "physical_filter")
    ok(home, url, "datasets", "insert", "flat", RUN2, "-d",
       "instrument=Cam,detector=1,physical_filter=g", "-d",
       "instrument=Cam,detector=1,physical_filter=r")
    ok(home, url, "datasets", "insert", "raw", RUN, "-d", "instrument=Cam,detector=1,exposure=7")
    ok(home, url, "certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00:00Z")
    ok(home, url, "certify", RUN2, CALIB, "flat", "--begin", "2024-02-01T00:00:00Z",
       "--end", "2024-03-01T00:00:00Z")
    ok(home, url, "collection", "chain", CHAIN, CALIB, RUN2)


# -- dataset ids in tables ----------------------------------------------------------------

#: Every command whose table has a DATASET column, with the arguments it needs.
ID_TABLES: list[tuple[str, ...]] = [
    ("datasets", "list", RUN, "bias"),
    ("list", CALIB),
    ("list", RUN),
    ("find", CHAIN, "bias", "-d", "instrument=Cam,detector=1", "--at", "2024-05-01T00:00:00Z"),
    ("certify", RUN2, CALIB, "bias", "--begin", "2024-06-01T00:00:00Z", "--close-open",
     "--dry-run"),
    ("decertify", CALIB, "flat", "--begin", "2024-02-10T00:00:00Z", "--dry-run"),
]


def test_tables_abbreviate_ids_and_full_ids_shows_them_whole(home, url):
    _world(home, url)
    ids = {d["id"] for d in ok(home, url, "--json", "list", RUN).json()}
    ids |= {d["id"] for d in ok(home, url, "--json", "list", RUN2).json()}
    assert ids and all(UUID.match(i) for i in ids)
    shown = ok(home, url, "datasets", "show", *sorted(ids)[:2], "--json").json()
    commands = [*ID_TABLES, ("datasets", "show", *(d["id"] for d in shown))]
    for args in commands:
        short = [r["DATASET"] for r in rows(ok(home, url, *args).out)]
        assert short and all(len(s) == 8 for s in short), (args, short)
        assert all(any(i.startswith(s) for i in ids) for s in short), (args, short)
        # --full-ids after the subcommand, or before it: the same whole ids
        after = [r["DATASET"] for r in rows(ok(home, url, *args, "--full-ids").out)]
        before = [r["DATASET"] for r in rows(ok(home, url, "--full-ids", *args).out)]
        assert after == before, args
        assert all(UUID.match(f) for f in after), (args, after)
        assert [f[:8] for f in after] == short, args
    # datasets insert (for real) prints the new datasets' ids the same way
    r = ok(home, url, "datasets", "insert", "bias", RUN, "-d", "instrument=Cam,detector=10")
    [row] = rows(r.out)
    assert len(row["DATASET"]) == 8
    r = ok(home, url, "datasets", "insert", "bias", RUN, "-d", "instrument=Cam,detector=11",
           "--full-ids")
    assert UUID.match(rows(r.out)[0]["DATASET"])
    # JSON always has whole ids, with or without the option
    assert all(UUID.match(d["id"]) for d in
               ok(home, url, "datasets", "list", RUN, "bias", "--json").json())


def test_full_ids_is_accepted_by_every_command(home):
    """--full-ids is a common option: accepted wherever --json is (checked in-process,
    help does not need a database)."""
    from click.testing import CliRunner

    from calibcert.cli import app

    runner = CliRunner()

    def leaves(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        out = []
        for name, cmd in group.commands.items():
            sub = (*path, name)
            out += leaves(cmd, sub) if hasattr(cmd, "commands") else [sub]
        return out

    commands = leaves(app.cli)
    assert ("datasets", "show") in commands and ("find",) in commands
    for cmd in commands:
        r = runner.invoke(app.cli, [*cmd, "--help"], terminal_width=200)
        assert r.exit_code == 0 and "--full-ids" in r.output, cmd


# -- list --dataset-type, datasets show, dataset-type list --------------------------------


def test_list_dataset_type(home, url):
    _world(home, url)
    both = ok(home, url, "list", CALIB, "--json").json()
    assert sorted({c["dataset_type"] for c in both}) == ["bias", "flat"]
    flats = ok(home, url, "list", CALIB, "--dataset-type", "flat", "--json").json()
    assert len(flats) == 2 and {c["dataset_type"] for c in flats} == {"flat"}
    assert flats == [c for c in both if c["dataset_type"] == "flat"]
    table = rows(ok(home, url, "list", CALIB, "--dataset-type", "bias").out)
    assert len(table) == 3 and {r["DATASET TYPE"] for r in table} == {"bias"}
    assert {(r["BEGIN"], r["END"]) for r in table} == {("2024-01-01T00:00:00Z", "+inf")}
    # through a chain: the CALIBRATION members' certifications of that type
    chained = ok(home, url, "list", CHAIN, "--dataset-type", "flat", "--json").json()
    assert chained == flats
    # a RUN: its datasets of that type only
    run = ok(home, url, "list", RUN, "--dataset-type", "raw", "--json").json()
    assert [(d["dataset_type"], d["data_id"]) for d in run] == [
        ("raw", {"detector": 1, "exposure": 7, "instrument": "Cam"})]
    assert len(ok(home, url, "list", RUN, "--json").json()) == 4  # 3 biases + the raw
    # none of a type: an empty result, said on stderr
    r = ok(home, url, "list", RUN, "--dataset-type", "flat")
    assert r.out == "" and "no datasets" in r.err
    # an unknown type is bad input, on either kind of collection
    _one_line_error(cli(home, url, "list", CALIB, "--dataset-type", "nope"), 2, "nope")
    _one_line_error(cli(home, url, "list", RUN, "--dataset-type", "nope"), 2, "nope")


def test_datasets_show(home, url):
    _world(home, url)
    listed = ok(home, url, "datasets", "list", RUN, "bias", "--json").json()
    flats = ok(home, url, "datasets", "list", RUN2, "flat", "--json").json()
    wanted = [flats[1], listed[2], listed[0]]
    shown = ok(home, url, "datasets", "show", *(d["id"] for d in wanted), "--json").json()
    assert shown == wanted  # in the order asked, with type, data ID and RUN
    table = rows(ok(home, url, "datasets", "show", *(d["id"] for d in wanted),
                    "--full-ids").out)
    assert [(r["DATASET"], r["DATASET TYPE"], r["RUN"]) for r in table] == [
        (d["id"], d["dataset_type"], d["run"]) for d in wanted]
    assert table[0]["DATA ID"] == "detector=1,instrument=Cam,physical_filter=r"
    # unknown or malformed ids are bad input; nothing is printed on stdout
    _one_line_error(cli(home, url, "datasets", "show", listed[0]["id"],
                        "00000000-0000-4000-8000-00000000dead"), 2,
                    "00000000-0000-4000-8000-00000000dead")
    _one_line_error(cli(home, url, "datasets", "show", "not-an-id"), 2, "not-an-id")
    _one_line_error(cli(home, url, "datasets", "show"), 2, "Missing argument")


def test_dataset_type_list(home, url):
    r = ok(home, url, "dataset-type", "list")
    assert r.out == "" and "no dataset types" in r.err
    assert ok(home, url, "dataset-type", "list", "--json").json() == []
    _world(home, url)
    assert ok(home, url, "dataset-type", "list", "--json").json() == [
        {"name": "bias", "dimensions": ["instrument", "detector"], "is_calibration": True},
        {"name": "flat", "dimensions": ["instrument", "detector", "physical_filter"],
         "is_calibration": True},
        {"name": "raw", "dimensions": ["instrument", "detector", "exposure"],
         "is_calibration": False},
    ]
    assert rows(ok(home, url, "dataset-type", "list").out) == [
        {"NAME": "bias", "DIMENSIONS": "instrument, detector", "CALIBRATION": "yes"},
        {"NAME": "flat", "DIMENSIONS": "instrument, detector, physical_filter",
         "CALIBRATION": "yes"},
        {"NAME": "raw", "DIMENSIONS": "instrument, detector, exposure", "CALIBRATION": "no"},
    ]


# -- plot ---------------------------------------------------------------------------------


def test_plot_options_and_pdf(home, url, monkeypatch, capsys):
    _world(home, url)
    pdf = home / "flats.pdf"
    r = ok(home, url, "plot", CALIB, "-o", str(pdf), "--dataset-type", "flat", "--label", "run",
           "--title", "Cam flats", "--json")
    assert r.json() == {"output": str(pdf), "collection": CALIB, "type": "CALIBRATION",
                        "members": [CALIB], "answering": [CALIB], "certifications": 2,
                        "intervals": 2, "rows": 2, "runs": 1}
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/Title (Cam flats)" in data
    assert len(re.findall(rb"/Type /Page\b", data)) == 1
    # the default title is the collection's name
    svg = home / "all.svg"
    ok(home, url, "plot", CALIB, "-o", str(svg))
    assert f"<dc:title>{CALIB}</dc:title>" in svg.read_text()
    assert svg.read_text().count('id="cert-') == 5
    # what is drawn (in-process, to see the figure): bars, labels and title
    import calibcert.plot

    figures: list[Any] = []
    real = calibcert.plot.timeline

    def spy(*args: Any, **kw: Any) -> Any:
        figures.append(real(*args, **kw))
        return figures[-1]

    monkeypatch.setattr(calibcert.plot, "timeline", spy)
    monkeypatch.setenv("CALIBCERT_URL", url)
    capsys.readouterr()
    assert cli_module.run(["plot", CALIB, "-o", str(home / "x.png"), "--dataset-type", "flat",
                           "--label", "run", "--title", "Cam flats"]) == 0
    assert "wrote" in capsys.readouterr().err
    ax = figures[-1].axes[0]
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("cert-")]
    assert len(bars) == 2
    assert ax.get_title(loc="left").startswith("Cam flats\n")
    assert {t.get_text() for t in ax.texts} == {RUN2}  # --label run
    assert [t.get_text() for t in ax.get_yticklabels()] == ["physical_filter=g",
                                                            "physical_filter=r"]
    assert cli_module.run(["plot", CALIB, "-o", str(home / "y.png")]) == 0
    ax = figures[-1].axes[0]
    assert ax.get_title(loc="left").startswith(f"{CALIB}\n")
    labels = {t.get_text() for t in ax.texts}
    assert labels and all(len(text) == 8 for text in labels)  # --label id (the default)
    assert len([p for p in ax.patches if (p.get_gid() or "").startswith("cert-")]) == 5
    # bad options are bad input, and no file is written
    _one_line_error(cli(home, url, "plot", CALIB, "-o", str(home / "t.gif")), 2, ".pdf")
    _one_line_error(cli(home, url, "plot", CALIB, "--label", "colour"), 2, "colour")
    _one_line_error(cli(home, url, "plot", CALIB, "--dataset-type", "nope",
                        "-o", str(home / "n.png")), 2, "nope")
    assert not (home / "t.gif").exists() and not (home / "n.png").exists()


def test_plot_a_chain_as_lookups_see_it(home, url):
    _world(home, url)  # CHAIN = [CALIB, RUN2]: RUN2 answers wherever CALIB does not
    svg = home / "chain.svg"
    r = ok(home, url, "plot", CHAIN, "-o", str(svg), "--label", "member", "--json")
    assert r.json() == {"output": str(svg), "collection": CHAIN, "type": "CHAINED",
                        "members": [CALIB, RUN2], "answering": [CALIB, RUN2],
                        "certifications": 5, "intervals": 12, "rows": 5, "runs": 2}
    # biases: RUN2 before 2024-01-01, CALIB after; flats: RUN2 around CALIB's February
    assert svg.read_text().count('id="cert-') == 12
    assert f"<dc:title>{CHAIN}</dc:title>" in svg.read_text()
    r = ok(home, url, "plot", CHAIN, "-o", str(home / "chain.png"))
    assert r.err.strip().splitlines()[-1] == (
        f"wrote {home / 'chain.png'}: 12 intervals answered by 2 of 2 members, 5 data IDs,"
        " 2 RUNs")


def test_plot_refuses_run_and_tagged_collections(home, url):
    _world(home, url)
    ok(home, url, "collection", "register", "Cam/good", "TAGGED")
    for name, kind in ((RUN, "RUN"), ("Cam/good", "TAGGED")):
        out = home / "refused.png"
        _one_line_error(cli(home, url, "plot", name, "-o", str(out)), 2,
                        f"collection {name!r} is {kind}, not CALIBRATION or CHAINED",
                        "answer lookups for all time", "no validity timeline")
        assert not out.exists()
        r = cli(home, url, "plot", name, "-o", str(out), "--json")
        assert r.code == 2 and r.out == ""
        err = json.loads(r.err)
        assert err["error"] == "CollectionTypeError" and err["exit_code"] == 2
        assert err["details"] == {"kind": "plot_collection_type", "collection": name,
                                  "type": kind, "expected": ["CALIBRATION", "CHAINED"]}
    _one_line_error(cli(home, url, "plot", "Cam/nope", "-o", str(home / "n.png")), 2,
                    "'Cam/nope' does not exist")
    _one_line_error(cli(home, url, "plot", CHAIN, "--dataset-type", "nope",
                        "-o", str(home / "n.png")), 2, "'nope' does not exist")
    _one_line_error(cli(home, url, "plot", CHAIN, "--label", "hatch"), 2, "hatch")
    assert not (home / "n.png").exists()


# -- unexpected internal errors: exit 5 ---------------------------------------------------

#: Runs the real entry point with a bug planted: `collection list` divides by zero.
BUGGY = """
import sys
import calibcert.cli.collections as commands

def _bug():
    raise ZeroDivisionError("planted bug")

commands._reg = _bug
from calibcert.cli import main
main(sys.argv[1:])
"""


def _buggy(home: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run([sys.executable, "-c", BUGGY, *args], capture_output=True,
                          text=True, env=_env(home, None, env), cwd=home, timeout=120)
    return Result(proc)


def test_internal_error_is_exit_5_with_a_traceback_only_when_asked(home):
    message = ("calibcert: internal error: ZeroDivisionError: planted bug "
               "(rerun with --traceback for details)")
    r = _buggy(home, "collection", "list")
    _one_line_error(r, 5)
    assert r.err.strip() == message
    for how in ({"args": ("collection", "list", "--traceback")},
                {"args": ("--traceback", "collection", "list")},
                {"args": ("collection", "list"), "env": {"CALIBCERT_TRACEBACK": "1"}}):
        r = _buggy(home, *how["args"], env=how.get("env"))
        assert r.code == 5 and r.out == "", (how, r)
        assert r.err.startswith("Traceback (most recent call last):"), (how, r)
        assert "in _bug" in r.err and "\nZeroDivisionError: planted bug\n" in r.err, (how, r)
        assert r.err.strip().splitlines()[-1] == message, (how, r)
    # the variable off is off
    for off in ("0", "", "no"):
        r = _buggy(home, "collection", "list", env={"CALIBCERT_TRACEBACK": off})
        assert r.code == 5 and "Traceback" not in r.err, (off, r)
    # --json: one JSON line
    r = _buggy(home, "collection", "list", "--json")
    assert r.code == 5 and r.out == ""
    assert json.loads(r.err) == {"error": "ZeroDivisionError", "exit_code": 5,
                                 "message": message.split(": ", 2)[2]}


def test_help_lists_exit_code_5_and_the_common_options(home):
    r = ok(home, None, "--help")
    assert "5  unexpected internal error (rerun with --traceback)" in r.out
    assert "--traceback" in r.out and "--full-ids" in r.out
