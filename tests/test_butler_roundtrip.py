"""Against the real Rubin Butler (lsst-daf-butler from the Python registry, in its own
cached virtual environment: calibcert.testing.butler_python; it fails, never skips, when
the Butler cannot be installed): a repository with certifications, decertified gaps
across a leap second, a TAGGED collection and a chain is exported by the Butler, imported
into calibcert on both backends, compared certification by certification, asked the same
lookups at every boundary, exported back and imported into a fresh Butler."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import calibcert
from calibcert.butler_format import export_to_butler, import_butler
from calibcert.testing import butler_python

SIDE = Path(__file__).with_name("butler_side.py")
CALIB, TAGGED, CHAIN = "Cam/calib", "Cam/calib/tagged", "Cam/calib/chain"
STORAGE = {"bias": "StructuredDataDict", "flat": "StructuredDataDict"}
UTC = timezone.utc


def side(*args: str, stdin: Any = None) -> Any:
    """Run butler_side.py in the Butler's environment; its JSON answer (its stderr shown
    when it fails)."""
    done = subprocess.run([butler_python(), str(SIDE), *args], capture_output=True, text=True,
                          input=None if stdin is None else json.dumps(stdin))
    assert done.returncode == 0, f"butler_side.py {' '.join(args)} failed:\n{done.stderr}"
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def butler_repo(tmp_path_factory) -> tuple[Path, Path, dict]:
    """(repository root, its export file, its dump), made once for the module."""
    tmp = tmp_path_factory.mktemp("butler")
    export = tmp / "export.yaml"
    original = side("build", str(tmp / "repo"), str(export))
    return tmp / "repo", export, original


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat(timespec="microseconds") \
        .replace("+00:00", "Z")


def ours(reg: calibcert.Registry) -> dict:
    """The Butler side's dump, read from calibcert."""
    return {"certifications": sorted(
                ([c.ref.dataset_type, str(c.ref.id), c.ref.data_id["detector"],
                  iso(c.timespan.begin), iso(c.timespan.end)]
                 for c in reg.certifications(CALIB)), key=json.dumps),
            "chain": reg.get_chain(CHAIN),
            "tagged": sorted(str(r.id) for r in reg.query_datasets(TAGGED, "bias"))}


def boundary_queries(dump: dict) -> list[dict]:
    """Every begin and end of every certification, a microsecond before and after, the
    instants around the 2016 leap second, for every dataset type and detector, through the
    calibration collection and through the chain."""
    edges = {datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
             datetime(2017, 1, 1, tzinfo=UTC), datetime(2017, 1, 1, 0, 0, 1, tzinfo=UTC)}
    for _, _, _, begin, end in dump["certifications"]:
        for t in (begin, end):
            if t is not None:
                edges.add(datetime.fromisoformat(t.replace("Z", "+00:00")))
    tick = timedelta(microseconds=1)
    instants = sorted({e + d for e in edges for d in (-tick, 0 * tick, tick)})
    return [{"collection": coll, "dataset_type": dtype, "detector": det, "time": iso(t)}
            for coll in (CALIB, CHAIN) for dtype in ("bias", "flat") for det in (0, 1, 2)
            for t in instants]


@pytest.mark.parametrize("url_fixture", ["sqlite_url", "pg_url"])
def test_a_butler_export_comes_into_calibcert_whole(butler_repo, url_fixture, request) -> None:
    root, export, original = butler_repo
    url = request.getfixturevalue(url_fixture)
    with calibcert.connect(url) as reg:
        summary = import_butler(reg, export.read_text(), str(export))
        assert summary.certifications == len(original["certifications"])
        # Every certification (dataset, data ID, begin, end to the microsecond), the
        # chain and the tagged collection, as the Butler holds them.
        assert ours(reg) == original
        # The same answer as the Butler at every boundary, directly and through the chain.
        queries = boundary_queries(original)
        theirs = side("find", str(root), stdin=queries)
        mine = []
        for q in queries:
            ref = reg.find(q["collection"], q["dataset_type"],
                           {"instrument": "Cam", "detector": q["detector"]},
                           datetime.fromisoformat(q["time"].replace("Z", "+00:00")))
            mine.append(None if ref is None else str(ref.id))
        wrong = [(q, m, t) for q, m, t in zip(queries, mine, theirs, strict=True) if m != t]
        assert not wrong, wrong[:5]
        assert sum(a is not None for a in mine) > len(mine) // 4  # the lookups hit things


def test_calibcert_exports_what_the_butler_imports_unchanged(butler_repo, sqlite_url) -> None:
    _, export, original = butler_repo
    with calibcert.connect(sqlite_url) as reg:
        import_butler(reg, export.read_text(), str(export))
        text = export_to_butler(reg, [CHAIN], storage_classes=STORAGE)
    back = Path(export).with_name("back.yaml")
    back.write_text(text)
    assert side("load", str(back)) == original
