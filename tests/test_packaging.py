"""The wheel carries the SQL and the migrations, and an installed copy uses its own.

The wheel is built from this checkout (no network: ``--no-isolation`` with the build tools
already installed), its file list is checked against ``sql/install.sql`` and
``migrations/``, then it is installed into a fresh virtual environment and a script run by
that environment's interpreter (isolated mode, outside the checkout) proves that
``calibcert`` is imported from the venv and finds its SQL and migrations there, and that
those migrations install a working schema.

The venv is created *without* system site-packages: from inside a venv that would reach the
base interpreter's site-packages, not the running environment's. Instead a ``.pth`` file
lists the running interpreter's site-packages directories, so the wheel's dependencies
(alembic, psycopg, ...) resolve to the ones the tests run with. Lines of a ``.pth`` file
only add directories to ``sys.path``; the ``.pth`` files inside those directories (such as
an editable install's) are not processed, and the venv's own site-packages comes first.
"""

from __future__ import annotations

import json
import re
import shlex
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from calibcert.schema import HEAD_REVISION, install_sql

ROOT = Path(__file__).resolve().parents[1]


def _included_sql(path: Path, root: Path) -> list[str]:
    """install.sql and every file it includes (``\\ir``, recursively), relative to sql/."""
    out = [path.relative_to(root).as_posix()]
    for line in path.read_text().splitlines():
        m = re.match(r"^\\ir\s+(\S+)\s*$", line)
        if m:
            out += _included_sql((path.parent / m.group(1)).resolve(), root)
    return out


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd)`` capturing its output; a failure raises an AssertionError
    showing the command, its exit code, stdout and stderr."""
    __tracebackhide__ = True
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise AssertionError(
            f"command failed with exit code {done.returncode}: {shlex.join(cmd)}"
            + (f" (cwd {kwargs['cwd']})" if "cwd" in kwargs else "")
            + f"\n--- stdout ---\n{done.stdout}--- stderr ---\n{done.stderr}"
        )
    return done


def _dependency_dirs() -> list[str]:
    """The running interpreter's site-packages directories (venv or not), where the
    wheel's dependencies are installed."""
    paths = sysconfig.get_paths()
    dirs = [paths["purelib"], paths["platlib"], *site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    out: list[str] = []
    for d in dirs:
        if Path(d).is_dir() and d not in out:
            out.append(d)
    return out


def _migration_files() -> list[str]:
    base = ROOT / "migrations"
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
         "--outdir", str(out), str(ROOT)])
    [whl] = out.glob("calibcert-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel: Path) -> Path:
    """A fresh venv with the wheel installed, seeing the running environment's
    site-packages (for the dependencies only) through a ``.pth`` file."""
    env = tmp_path_factory.mktemp("venv") / "env"
    python = str(env / "bin" / "python")
    run([sys.executable, "-m", "venv", str(env)])
    run([python, "-m", "pip", "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", str(wheel)])
    # Written after the install, so that pip never sees the running environment's own
    # calibcert (an editable install) as already installed.
    site_dir = run([python, "-I", "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    (Path(site_dir) / "_calibcert_test_dependencies.pth").write_text(
        "".join(f"{d}\n" for d in _dependency_dirs()))
    return env


def run_in_venv(venv: Path, script: str, cwd: Path) -> dict:
    """Run ``script`` with the venv's interpreter in isolated mode (no cwd / PYTHONPATH on
    sys.path), away from the checkout; it prints one JSON object."""
    done = run([str(venv / "bin" / "python"), "-I", "-c", script], cwd=cwd)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_wheel_contains_the_sql_and_the_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sql_files = _included_sql(ROOT / "sql" / "install.sql", ROOT / "sql")
    assert "install.sql" in sql_files and "schema/tables.sql" in sql_files
    assert len(sql_files) > 30
    sql_files += _included_sql(ROOT / "sql" / "sqlite" / "install.sql", ROOT / "sql")
    assert "sqlite/schema/guards.sql" in sql_files
    for rel in sql_files:
        assert f"calibcert/sql/{rel}" in names, rel
    migrations = _migration_files()
    assert "versions/0001_initial.postgresql.sql" in migrations
    assert any(m.startswith(f"versions/{HEAD_REVISION}_") and m.endswith(".py")
               for m in migrations)
    assert "env.py" in migrations
    for rel in migrations:
        assert f"calibcert/migrations/{rel}" in names, rel
    # The package itself, and the CLI entry point.
    assert "calibcert/__init__.py" in names and "calibcert/backends/postgres.py" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "calibcert" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_uses_its_own_sql_and_migrations(venv: Path, tmp_path: Path) -> None:
    info = run_in_venv(venv, """
import json, sys, sysconfig
import alembic
import calibcert
from calibcert import migrate, schema
print(json.dumps({
    "site": sysconfig.get_paths()["purelib"],
    "sys_path": sys.path,
    "editable_finder": [m for m in sys.modules if "editable" in m],
    "alembic": alembic.__file__,
    "module": calibcert.__file__,
    "sql_dir": str(schema.sql_dir()),
    "migrations_dir": str(schema.migrations_dir()),
    "install_sql": schema.install_sql(),
    "head": migrate.head(),
}))
""", cwd=tmp_path)
    site_dir = Path(info["site"]).resolve()
    assert site_dir.is_relative_to(venv.resolve())
    for key in ("module", "sql_dir", "migrations_dir"):
        path = Path(info[key]).resolve()
        assert path.is_relative_to(site_dir), (key, path)
        assert not path.is_relative_to(ROOT), (key, path)
    # Nothing of the checkout (nor the running environment's editable install, which
    # points into a checkout) is on the installed copy's path; its own site-packages comes
    # before the directories lent for the dependencies, which do come from there.
    for entry in info["sys_path"]:
        assert not Path(entry).resolve().is_relative_to(ROOT), entry
    assert info["editable_finder"] == []
    resolved = [Path(p).resolve() for p in info["sys_path"]]
    lent = [Path(d).resolve() for d in _dependency_dirs()]
    assert site_dir in resolved
    assert all(resolved.index(site_dir) < resolved.index(d) for d in lent if d in resolved)
    assert any(Path(info["alembic"]).resolve().is_relative_to(d) for d in lent), info["alembic"]
    # The installed script is the one this checkout would install.
    assert info["install_sql"] == install_sql()
    assert info["head"] == HEAD_REVISION
    print(f"installed: install_sql() is {len(info['install_sql'])} characters; "
          f"migrations_dir() = {info['migrations_dir']}")


def test_installed_wheel_migrates_a_database(venv: Path, tmp_path: Path,
                                             empty_pg_url: str) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'calib.db'}"
    info = run_in_venv(venv, f"""
import json
import calibcert
from calibcert import migrate
calibcert.upgrade({empty_pg_url!r})
calibcert.upgrade({sqlite_url!r})
with calibcert.connect({empty_pg_url!r}) as reg:
    reg.register_collection("calib", "CALIBRATION")
    names = [c.name for c in reg.list_collections()]
print(json.dumps({{"pg": migrate.current({empty_pg_url!r}),
                   "sqlite": migrate.current({sqlite_url!r}), "names": names}}))
""", cwd=tmp_path)
    assert info == {"pg": HEAD_REVISION, "sqlite": HEAD_REVISION, "names": ["calib"]}
