"""The README's psql examples ("Every function from psql") stay true.

The ``sql`` blocks of that section are run, in order, with psql itself
(``psql -X -v ON_ERROR_STOP=1``) against a fresh database, logged in as a LOGIN role that
holds only calib_admin (tests/test_sql_level.py's role), as a service would. The last block
holds the calls that fail: it runs with ON_ERROR_STOP off and ``SHOW_CONTEXT never``, and
psql must print exactly the ERROR / DETAIL lines of the README block that follows it. A
few outputs of the others are checked too. Catches an example that no longer runs (a
renamed function, an overload that stops resolving), one that says something else than it
does, and a README error text that is not what psql prints.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from calibcert.testing import find_bindir
from test_sql_level import WRITER, as_role, login_roles  # noqa: F401 (fixture)

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "### Every function from psql"
PUBLIC = {"register_collection", "set_chain", "get_chain", "remove_collection",
          "list_collections", "register_dataset_type", "list_dataset_types", "insert_datasets",
          "tag", "untag", "certify", "certify_series", "decertify", "close_open_range",
          "copy_collection", "find", "find_many", "certifications", "query_datasets",
          "get_datasets", "probe"}


def section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.index("\n## ", start)
    return text[start:end]


def blocks() -> tuple[list[str], str, str]:
    """(the sql blocks that must succeed, the failing block, the output shown after it)."""
    found = re.findall(r"```(sql)?\n(.*?)```", section(), re.S)
    sql = [body for lang, body in found if lang]
    (shown,) = [body for lang, body in found if not lang]
    return sql[:-1], sql[-1], shown


def psql(url: str, script: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.path.join(find_bindir(), "psql"), "-X", *options, "-f", "-", "-d", url],
        input=script, capture_output=True, text=True, timeout=120)


def test_the_examples_call_every_public_function() -> None:
    good, bad, _ = blocks()
    called = set(re.findall(r"\bcalib\.(\w+)\(", "\n".join(good)))
    assert called >= PUBLIC, PUBLIC - called


def test_the_readme_examples_run_under_psql_as_a_writer(pg_url: str, login_roles) -> None:  # noqa: F811
    good, bad, shown = blocks()
    url = as_role(pg_url, WRITER)
    done = psql(url, "\n".join(good), "-v", "ON_ERROR_STOP=1")
    assert done.returncode == 0 and not done.stderr, done.stderr
    out = done.stdout
    # a few outputs: the data IDs stored canonically, the series with its offset turned
    # into UTC, the night decertified, the lookups through the chain
    assert '6f1c9a52-0000-4000-8000-000000000003 | {"detector": 1, "instrument": "Cam"}' in out
    assert '["2024-03-01 00:00:00+00","2024-05-31 22:00:00+00")' in out
    assert '["2024-01-01 00:00:00+00","2024-02-10 00:00:00+00")' in out
    assert '["2024-02-11 00:00:00+00","2025-01-01 00:00:00+00")' in out
    assert " {Cam/calib,Cam/raw/run1}" in out
    assert re.search(r"^\s+1 \| 6f1c9a52-0000-4000-8000-000000000001\n"
                     r"\s+2 \| 6f1c9a52-0000-4000-8000-000000000002\n"
                     r"\s+3 \| 6f1c9a52-0000-4000-8000-000000000001\n\(3 rows\)", out, re.M)
    # probe, through the chain at 2024-03-01 12:00: the series' first dataset
    assert re.search(r"6f1c9a52-0000-4000-8000-000000000003 \| f\n\(1 row\)", out)

    failed = psql(url, "\\set SHOW_CONTEXT never\n" + bad, "-v", "ON_ERROR_STOP=0")
    printed = [re.sub(r"^psql:<stdin>:\d+: ", "", line) for line in failed.stderr.splitlines()]
    assert printed == shown.strip().splitlines(), failed.stderr
