"""Developer tool: write the frozen SQL of the *unreleased* head revision.

    python migrations/freeze.py            # write versions/<head>_<name>.postgresql[.down].sql
    python migrations/freeze.py --check    # exit 1 if they differ from what would be written

A revision never reads ``sql/`` at run time: what it runs is frozen next to it when the
revision is written. Revision 0001 froze the whole of ``sql/install.sql``. Every later
revision N has two sources in ``migrations/sources/``:

* ``N_<name>.postgresql.sql``: a psql script whose ``\\ir`` lines pull in files of ``sql/``
  (new tables, triggers written with CREATE OR REPLACE, grants) plus any DDL of its own;
  frozen expanded. The line ``-- freeze: every function of sql/install.sql`` becomes every
  function file, in install order: functions hold no data, so each revision re-creates
  them all from ``sql/`` (a function whose arguments changed, or that was removed, needs
  its own DROP before that line).
* ``N_<name>.postgresql.down.sql``: the DDL that undoes it (drops what N added). For a
  revision that re-creates every function (0002), frozen followed by every function as
  revision N-1 defined it (the last definition of each in the frozen files before N), so a
  downgrade restores the bodies that N replaced. From 0003 on a revision changes only what
  it changes (0003: ALTER FUNCTION ... SET search_path, owners, grants), and its down
  source undoes exactly that.

Once a revision has landed on main its frozen files are history: ``RELEASED`` pins their
SHA-256 and tests/test_migrations.py checks them; a change to ``sql/`` then needs a new
revision. The same test proves that the migrated schema equals ``sql/install.sql``.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

from calibcert.schema import HEAD_REVISION, expand_script, sql_dir

HERE = Path(__file__).resolve().parent
VERSIONS = HERE / "versions"
SOURCES = HERE / "sources"

#: Frozen files of revisions that have landed on main, by SHA-256: never rewritten.
RELEASED: dict[str, str] = {
    "0001_initial.postgresql.sql":
        "46650711b8ec0bda050406f2ed1b09226a646a2a1ba0bdeda2e7784c3b009ed0",
    "0001_initial.postgresql.down.sql":
        "9ba60e88df7f20c918be3a7c362164eb4447daf4134c3b33aac9cf9c45143acf",
    "0001_initial.sqlite.sql":
        "563224988cc0268d20eb69d9b2325785c76c5625d3035e3076b8f4914d753772",
    "0001_initial.sqlite.down.sql":
        "69aa347e6ffe8781bc30dd3900ff7cd7bcaece13c9ffcde4242e36d1d20157c9",
    "0002_fast_paths.postgresql.sql":
        "6dec231dd87ee94e16561c273ede3bff925a9780288287b4285526e2cd72fd1e",
    "0002_fast_paths.postgresql.down.sql":
        "1b1b7be62164d11a8a61b1c3128343e83f349a4b6cd2f2d29438912f91bdedf1",
    "0003_secure_functions.postgresql.sql":
        "b31ba5809bf4a392c4f1520b2c1729dc5bfac0fa2fde755ec2b0c3a5be062a3b",
    "0003_secure_functions.postgresql.down.sql":
        "0f8f50dcc657a15537c7d0071f899c55769266d94d12d8d65a8259ce057db816",
}

HEADER = (
    "-- FROZEN {what} of revision {rev}, written by migrations/freeze.py from {src}.\n"
    "-- Never edit by hand.\n"
)
# One function definition as the files of sql/functions write it: from its CREATE line to
# the "$$;" that closes its body, keyed by the name and argument list.
_FUNCTION = re.compile(
    r"^CREATE OR REPLACE FUNCTION (?P<key>[\w.]+\((?:[^()]|\([^()]*\))*\))"
    r".*?^\$\$;\n", re.S | re.M)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def revision_stem(revision: str) -> str:
    """``0002_fast_paths`` for revision 0002 (from the name of its module)."""
    (module,) = VERSIONS.glob(f"{revision}_*.py")
    return module.stem


EVERY_FUNCTION = "-- freeze: every function of sql/install.sql"


def every_function() -> str:
    """The function files of sql/install.sql, in its order, expanded."""
    install = sql_dir() / "install.sql"
    return "".join(expand_script(install.parent / line.split(None, 1)[1])
                   for line in install.read_text().splitlines()
                   if line.startswith("\\ir functions/"))


def functions_before(revision: str) -> list[str]:
    """Every function definition as it stood just before ``revision``: the last definition
    of each (by name and arguments) in the frozen up files of the earlier revisions."""
    latest: dict[str, str] = {}
    for path in sorted(VERSIONS.glob("*.postgresql.sql")):
        if path.name.split("_", 1)[0] >= revision or path.name.endswith(".down.sql"):
            continue
        for m in _FUNCTION.finditer(path.read_text()):
            latest[re.sub(r"\s+", " ", m.group("key"))] = m.group(0)
    return list(latest.values())


def frozen_texts(revision: str = HEAD_REVISION) -> dict[str, str]:
    """File name -> frozen text of ``revision`` (0002 or later; PostgreSQL), as freeze would
    write them."""
    stem = revision_stem(revision)
    up_src = SOURCES / f"{stem}.postgresql.sql"
    down_src = SOURCES / f"{stem}.postgresql.down.sql"
    up = HEADER.format(what="upgrade", rev=revision, src=f"sources/{up_src.name}")
    down = HEADER.format(what="downgrade", rev=revision, src=f"sources/{down_src.name}")
    up_text = expand_script(up_src)
    down_text = down_src.read_text()
    if EVERY_FUNCTION in up_text:
        if revision > "0002":
            # functions_before() reads CREATE statements only: it cannot see the ALTER
            # FUNCTION ... SET search_path of 0003, so a downgrade would restore unpinned
            # functions. Later revisions change only what they change (ALTER, or CREATE OR
            # REPLACE of the functions concerned, with their previous text in the down).
            raise SystemExit(f"{revision}: '{EVERY_FUNCTION}' is for revisions up to 0002")
        up_text = up_text.replace(EVERY_FUNCTION + "\n", every_function())
        down_text += ("-- Every function as the previous revision defined it.\n"
                      + "".join(functions_before(revision)))
    return {f"{stem}.postgresql.sql": up + up_text,
            f"{stem}.postgresql.down.sql": down + down_text}


def main(argv: list[str]) -> int:
    texts = frozen_texts()
    stale = [name for name, text in texts.items()
             if not (VERSIONS / name).exists() or (VERSIONS / name).read_text() != text]
    if "--check" in argv:
        if stale:
            print("stale frozen files (run python migrations/freeze.py): " + ", ".join(stale))
        return 1 if stale else 0
    for name in stale:
        if name in RELEASED:
            raise SystemExit(f"{name} is released: add a new revision instead of rewriting it")
        path = VERSIONS / name
        tmp = path.with_suffix(".tmp")  # then rename: a reader never sees half a file
        tmp.write_text(texts[name])
        tmp.replace(path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
