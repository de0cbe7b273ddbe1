"""Developer tool: write the frozen SQL of the *unreleased* revisions, and show what a
revision changes.

    python migrations/freeze.py                # write versions/<rev>_<name>.<dialect>[.down].sql
                                               # of every revision not released yet
    python migrations/freeze.py --check        # exit 1 if they differ from what would be written
    python migrations/freeze.py --show [REV]   # what REV (default: head) changes, read from
                                               # the catalogs of databases at REV-1 and REV
    ... --url postgresql://…/postgres          # use this server (else a throw-away one)

A revision never reads ``sql/`` at run time: what it runs is frozen next to it when the
revision is written. Revision 0001 froze the whole of ``sql/install.sql`` (and a hand-written
SQLite schema, now ``sql/sqlite/``). Every later revision N has sources in
``migrations/sources/``, per dialect (``postgresql``, ``sqlite``; a dialect without sources
only moves its version number):

* ``N_<name>.<dialect>.sql``: a psql-style script whose ``\\ir`` lines pull in files of
  ``sql/`` plus any DDL of its own; frozen expanded. A revision holds only what it changes:
  the function files it re-creates, new tables or triggers, ALTERs.
* ``N_<name>.<dialect>.down.sql``: the DDL that undoes it (drops what N added, ALTERs back).
  On PostgreSQL freeze.py completes the down by itself, from the catalog of a scratch
  database migrated to N-1 (the alembic_utils ReplaceOp/RevertOp idea): every function the
  up re-creates gets back its previous definition (``pg_get_functiondef``) before the down
  source runs, and every function the up creates anew is dropped after it. A function the
  up re-creates unchanged is refused: a revision holds only its changes.

0002 predates that: its source re-created every function (the line
``-- freeze: every function of sql/install.sql``) and its down restored them all from the
frozen text of 0001; freeze.py keeps writing 0002 that way and refuses the line later.

Once a revision has landed on main its frozen files are history: ``RELEASED`` pins their
SHA-256 and tests/test_migrations.py checks them; a change to ``sql/`` then needs a new
revision. The same tests prove that a database migrated step by step equals a fresh install
of ``sql/install.sql`` (and of ``sql/sqlite/install.sql``), up and down every revision.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from calibcert.schema import HEAD_REVISION, expand_script, sql_dir

HERE = Path(__file__).resolve().parent
VERSIONS = HERE / "versions"
SOURCES = HERE / "sources"
DIALECTS = ("postgresql", "sqlite")

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
    "0004_one_lookup_rule.postgresql.down.sql":
        "2035c3190d82d675f1d2afeffa7a995cd0af3276e6a06b54bc2e90d69021b403",
    "0004_one_lookup_rule.postgresql.sql":
        "6035620a01394efcca87eb395c075bf79cdda0fbd4f18edc8bce164bc21c2651",
    "0005_sqlite_guards.sqlite.down.sql":
        "a540baec47fb39ad07cab69ed7adaf74a42a524045b23293dbfaa4f09d42c329",
    "0005_sqlite_guards.sqlite.sql":
        "dc3153f8e1e9ebc5637fac207a9336cc440b618ff41d9bc420aaec99b0b4f25e",
    "0006_error_kinds.postgresql.down.sql":
        "8c648bdc0e1ce97899427caa901636d0c83139640ac3a9a0ec5fc709d7092cdf",
    "0006_error_kinds.postgresql.sql":
        "dccb9c5d6585fa88afc444f389f7275a0bf7a65ffe1dda2eeff869f531a2d316",
    "0007_insert_in_id_order.postgresql.down.sql":
        "740d49a474df510673e44057ec5ad8fc4badf5b3d5b9a0de2fe2452d6a6c5e8f",
    "0007_insert_in_id_order.postgresql.sql":
        "373ebe7170649acf0f4a5c9b29dca84409828ee7a40f524cb3f0f3ac75a6525c",
    "0008_sqlite_search_paths.sqlite.down.sql":
        "732dcda670ccf04b97ed84c2af58ba67b37595b8bb43de9e81d6cf4d5eacea55",
    "0008_sqlite_search_paths.sqlite.sql":
        "5e3cc094080274259091d19687e3de4f5cb55cac20e3804d18faa7334382d57d",
    "0009_json_documents.postgresql.down.sql":
        "2a25b29fc1eb60199e0226a1a0be7309ffcdfadc507683958ea24a78bf94c494",
    "0009_json_documents.postgresql.sql":
        "cd72dee5dc5578e131067de31d6d0e6a6063a5d6915bd69e090c6866a10a84fc",
    "0010_dimension_types.postgresql.down.sql":
        "316500430b785e833d504bb7559bc3948cd29fee76f4efd359d2fbbadd06a3a6",
    "0010_dimension_types.postgresql.sql":
        "d558939c0bead28928a1755f625a99d380b19c01806a7e7fd97d39abd7d7dc2d",
    "0010_dimension_types.sqlite.down.sql":
        "545b0c2d9a6a594b9078b06a22d921571644a2f4043b36d8a103523ddc360ec5",
    "0010_dimension_types.sqlite.sql":
        "91d9cfdb2195c42ac0c7d6e819676a1788b9f3a9bfce194a8f6b864be6585f0a",
    "0011_psql_errors.postgresql.down.sql":
        "48265c5b685cc50135fd4cb1ecdefa15613d58da84aafef110d34ce9eef07cfd",
    "0011_psql_errors.postgresql.sql":
        "dccb2b5bf9ac15e136ee4272fd8accdcb5656fc3d0fd761c10ca1d92cf719f4c",
    "0012_dbas_in_control.postgresql.down.sql":
        "ffe14b0d35a2c7a3a22797bb919fd1d9986843a619faad3a1900b15658999ac1",
    "0012_dbas_in_control.postgresql.sql":
        "6790c65e0cc8200bbd782f442ffccfac52b2ecd57d9f922494f752aee583b86c",
    "0012_dbas_in_control.sqlite.down.sql":
        "1d9faf7f6894247220486c0fdb29e2bcb3dfa035d317e6016f62605e343d9848",
    "0012_dbas_in_control.sqlite.sql":
        "4f7e6fa05727cd3827e90b331d5d6c92b542b47a803210e90adeaee984f185e8",
    "0013_digest.postgresql.down.sql":
        "7919bee29b32c41c289bc5c74e650e6aeeab8b22146e35cc47a514b2da954f0c",
    "0013_digest.postgresql.sql":
        "848035c74b49ae343820a3ae0bd967f52c3bf5160230afb326ae77b3f7aee9e9",
    "0014_history.postgresql.down.sql":
        "7d6fa5bb386a32505e60db5ec02aabbe5594397009aae3ab67826d2905b64541",
    "0014_history.postgresql.sql":
        "dfd830dc6249613014d459f032d8e365fa4b0a80e26c97c2898ce60fd589ffff",
    "0014_history.sqlite.down.sql":
        "4f4ef61fa25677834a9e2850e79527381f4ff827aa4bd1ff803b647b67483f9f",
    "0014_history.sqlite.sql":
        "bef784dfecfae8bc845c0c978f0161c1cbb3399b528344ca1390bd3098ad56c3",
    "0015_twins_and_speed.postgresql.down.sql":
        "df682cabbba05c802fbf8796d32e2fb339436ae63f8912a2b724d1d4225172a7",
    "0015_twins_and_speed.postgresql.sql":
        "cccd16499a3bd4cefbe58297e89fdb68bb322b778b05689a1d1146006ab9bfa8",
    "0015_twins_and_speed.sqlite.down.sql":
        "0a9d6c5892c85b9e95f8a142125be9debbd7877df6550e1461c53da25dea1e08",
    "0015_twins_and_speed.sqlite.sql":
        "572efed04efc8b0e69a99504e55df95cf56e7410d845b488d3d63662d60f2fbb",
    "0016_speed.postgresql.down.sql":
        "e6e1011f5768b313da932734ad808368460964d86f4c61eadeac8a323bca5ab6",
    "0016_speed.postgresql.sql":
        "cd67a93cb604ca00f99bbd55db10e1d7c22100e9f36c7cf516ecb121eef1b226",
    "0016_speed.sqlite.down.sql":
        "26db652dcf6abb680de1936ac67c7f3f914e0a688213f07c2964b0e5ddf88004",
    "0016_speed.sqlite.sql":
        "d901f30d5591e4794fca9d1d4a3dbee52a5c97ae634ecf963c64820b1a6f26e1",
    "0017_speed2.postgresql.down.sql":
        "ef91ca80ad1d437844fa417b49d314286aa60b9283254f3da3bf1a47ee334226",
    "0017_speed2.postgresql.sql":
        "692f15f0a40329072eaf7b4eec401c7f6398ee1489e8a94906663ab6c965fccc",
    "0017_speed2.sqlite.down.sql":
        "46ce56fd268a5e5f467a81fd3c027b8a74799965bfe9f43dacea2b9d98b5389e",
    "0017_speed2.sqlite.sql":
        "f9eab5ba8290c08bbf9457865e6f18583df21eaf2e7a15bc59a236a2b35909fa",
    "0018_speed3.postgresql.down.sql":
        "afc8d93d1427c4391093d08e0318a6097f1ba1b83eadb558653a7c8cad8ca3c6",
    "0018_speed3.postgresql.sql":
        "6b05d83dda4ffaa010bd5ca911178ea1f1d96438b01ccff7943b9e815c63721f",
    "0019_hardening.postgresql.down.sql":
        "fcc7578076440f430ac456dc733b7cf9fb090e904670311ede511f2650c4faed",
    "0019_hardening.postgresql.sql":
        "eab6578339357f118f0c265743145a2a5a6d92108f2d12c3015ad4005d9b9586",
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
_CREATED = re.compile(r"^CREATE (?:OR REPLACE )?FUNCTION calib\.(\w+)\s*\(", re.M | re.I)

EVERY_FUNCTION = "-- freeze: every function of sql/install.sql"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def revisions() -> list[str]:
    """Every revision id, oldest first (from the names of the modules in versions/)."""
    return sorted(p.name.split("_", 1)[0] for p in VERSIONS.glob("[0-9]*_*.py"))


def previous(revision: str) -> str | None:
    ids = revisions()
    i = ids.index(revision)
    return ids[i - 1] if i else None


def revision_stem(revision: str) -> str:
    """``0002_fast_paths`` for revision 0002 (from the name of its module)."""
    (module,) = VERSIONS.glob(f"{revision}_*.py")
    return module.stem


# -- 0002: every function re-created ------------------------------------------------------


def every_function() -> str:
    """The function files of sql/install.sql, in its order, expanded."""
    install = sql_dir() / "install.sql"
    return "".join(expand_script(install.parent / line.split(None, 1)[1])
                   for line in install.read_text().splitlines()
                   if line.startswith("\\ir functions/"))


def functions_before(revision: str) -> list[str]:
    """Every function definition as it stood just before ``revision`` (0002): the last
    definition of each (by name and arguments) in the frozen up files of the earlier
    revisions."""
    latest: dict[str, str] = {}
    for path in sorted(VERSIONS.glob("*.postgresql.sql")):
        if path.name.split("_", 1)[0] >= revision or path.name.endswith(".down.sql"):
            continue
        for m in _FUNCTION.finditer(path.read_text()):
            latest[re.sub(r"\s+", " ", m.group("key"))] = m.group(0)
    return list(latest.values())


# -- scratch databases ---------------------------------------------------------------------


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    """The admin URL of a PostgreSQL server: ``url``, or a throw-away one."""
    if url:
        yield url
        return
    from calibcert.testing import server_url, start_server

    server = start_server()
    try:
        yield server_url(server, "postgres")
    finally:
        server.stop()


@contextlib.contextmanager
def _scratch_db(admin_url: str, revision: str | None) -> Iterator[str]:
    """A new database on the server of ``admin_url``, migrated to ``revision`` (None: empty);
    dropped afterwards."""
    import psycopg

    from calibcert import migrate

    name = f"calib_freeze_{os.getpid()}_{revision or 'base'}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        if revision:
            migrate.upgrade(url, revision)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _function_definitions(conn) -> dict[str, tuple[str, str, str]]:
    """Signature -> (name, ``pg_get_functiondef``, result type) of every function in schema
    calib."""
    conn.execute("SET search_path = pg_catalog")
    return {sig: (name, definition, result) for sig, name, definition, result in conn.execute(
        "SELECT p.oid::regprocedure::text, p.proname::text, pg_get_functiondef(p.oid),"
        " pg_get_function_result(p.oid)"
        " FROM pg_proc AS p WHERE p.pronamespace = 'calib'::regnamespace")}


def function_reverts(revision: str, up_text: str, admin_url: str) -> tuple[list[str], list[str]]:
    """For a delta revision: (previous definitions of the functions its up re-creates, DROP
    statements for those it creates anew), from a scratch database at the previous revision
    on which the up is tried (and rolled back). Refuses a function re-created unchanged."""
    import psycopg

    names = set(_CREATED.findall(up_text))
    if not names:
        return [], []
    with _scratch_db(admin_url, previous(revision)) as url, psycopg.connect(url) as conn:
        before = _function_definitions(conn)
        conn.execute(up_text.encode())
        after = _function_definitions(conn)
        conn.rollback()
    restore, drop, changed = [], [], set()
    for sig in sorted(set(before) | set(after)):
        name = (after.get(sig) or before[sig])[0]
        if name not in names or before.get(sig) == after.get(sig):
            continue
        changed.add(name)
        if sig in before:
            if sig in after and before[sig][2] != after[sig][2]:
                # CREATE OR REPLACE cannot change a result type: drop the up's version first
                # (the down source then gives the restored function its owner and grants).
                restore.append(f"DROP FUNCTION calib.{sig.removeprefix('calib.')};\n")
            restore.append(before[sig][1].rstrip("\n") + ";\n")
        else:
            drop.append(f"DROP FUNCTION calib.{sig.removeprefix('calib.')};\n")
    unchanged = names - changed
    if unchanged:
        raise SystemExit(f"revision {revision} re-creates {sorted(unchanged)} unchanged:"
                         " a revision holds only what it changes")
    return restore, drop


# -- the frozen texts ----------------------------------------------------------------------


def frozen_texts(revision: str = HEAD_REVISION, admin_url: str | None = None) -> dict[str, str]:
    """File name -> frozen text of ``revision`` (0002 or later), as freeze would write them.
    ``admin_url``: a PostgreSQL server for the scratch database a delta revision that
    re-creates functions needs (default: a throw-away server, started only then)."""
    stem = revision_stem(revision)
    out: dict[str, str] = {}
    for dialect in DIALECTS:
        up_src = SOURCES / f"{stem}.{dialect}.sql"
        down_src = SOURCES / f"{stem}.{dialect}.down.sql"
        if not up_src.exists():
            continue
        up = HEADER.format(what="upgrade", rev=revision, src=f"sources/{up_src.name}")
        down = HEADER.format(what="downgrade", rev=revision, src=f"sources/{down_src.name}")
        up_text, down_text = expand_script(up_src), expand_script(down_src)
        if EVERY_FUNCTION in up_text:
            if revision > "0002":
                raise SystemExit(f"{revision}: '{EVERY_FUNCTION}' is for 0002 only: later"
                                 " revisions re-create only the functions they change")
            up_text = up_text.replace(EVERY_FUNCTION + "\n", every_function())
            down_text = (down_src.read_text()
                         + "-- Every function as the previous revision defined it.\n"
                         + "".join(functions_before(revision)))
        elif dialect == "postgresql" and _CREATED.search(up_text):
            with _server(admin_url) as url:
                restore, drop = function_reverts(revision, up_text, url)
            down_text = ("-- The functions this revision re-creates, as the previous revision"
                         " had them (freeze.py).\n" + "".join(restore) + down_text
                         + ("-- The functions this revision creates (freeze.py).\n"
                            + "".join(drop) if drop else ""))
        out[f"{stem}.{dialect}.sql"] = up + up_text
        out[f"{stem}.{dialect}.down.sql"] = down + down_text
    return out


def unreleased_texts(admin_url: str | None = None) -> dict[str, str]:
    """The frozen texts of every revision after 0002 not yet released (pinned), as freeze
    would write them: those are the files it may (re)write."""
    out: dict[str, str] = {}
    with _server(admin_url) as url:
        for revision in revisions():
            frozen = [p.name for p in VERSIONS.glob(f"{revision_stem(revision)}.*.sql")]
            # A revision is released once its frozen files are pinned; one without any yet
            # (just added) is not.
            if revision > "0002" and not (frozen and all(n in RELEASED for n in frozen)):
                out.update(frozen_texts(revision, url))
    return out


# -- what a revision changes ---------------------------------------------------------------


def _sqlite_schema(revision: str | None) -> dict[str, str]:
    from calibcert import migrate

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "show.db"
        url = f"sqlite:///{path}"
        if revision:
            migrate.upgrade(url, revision)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return {f"{kind} {name}": sql or "" for kind, name, sql in conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


def show(revision: str, admin_url: str | None = None) -> list[str]:
    """What ``revision`` changes, per backend, from the catalogs before and after it."""
    from calibcert.catalog import changes, snapshot

    before_rev = previous(revision)
    with _server(admin_url) as url:
        with _scratch_db(url, before_rev) as a, _scratch_db(url, revision) as b:
            # The recorded revision changes with every revision: not news.
            lines = [f"postgresql {line}" for line in changes(snapshot(a), snapshot(b))
                     if " version: " not in line]
    old, new = _sqlite_schema(before_rev), _sqlite_schema(revision)
    for key in sorted(set(old) | set(new)):
        if key.endswith("alembic_version"):
            continue
        mark = "+" if key not in old else "-" if key not in new else "~"
        if old.get(key) != new.get(key):
            lines.append(f"sqlite {mark} {key}")
    return lines


def main(argv: list[str]) -> int:
    url = argv[argv.index("--url") + 1] if "--url" in argv else None
    if "--show" in argv:
        i = argv.index("--show")
        revision = argv[i + 1] if i + 1 < len(argv) and argv[i + 1][:1].isdigit() else HEAD_REVISION
        print("\n".join(show(revision, url)) or f"{revision} changes nothing")
        return 0
    texts = unreleased_texts(url)
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
