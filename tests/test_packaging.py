"""The wheel carries the SQL and the migrations, and an installed copy uses its own.

The wheel is built from this checkout (no network: ``--no-isolation`` with the build tools
already installed), its file list is checked against ``sql/install.sql`` and
``migrations/``, then it is installed into a fresh virtual environment and a script run by
that environment's interpreter (isolated mode, outside the checkout) proves that
``calibcert`` is imported from the venv and finds its SQL and migrations there, and that
those migrations install a working schema.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
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


def _migration_files() -> list[str]:
    base = ROOT / "migrations"
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    [whl] = out.glob("calibcert-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel: Path) -> Path:
    """A fresh venv (system site-packages for the dependencies) with the wheel installed."""
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env)],
                   check=True, capture_output=True, text=True)
    subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "--no-deps",
                    "--no-index", "--disable-pip-version-check", str(wheel)],
                   check=True, capture_output=True, text=True)
    return env


def run_in_venv(venv: Path, script: str, cwd: Path) -> dict:
    """Run ``script`` with the venv's interpreter in isolated mode (no cwd / PYTHONPATH on
    sys.path), away from the checkout; it prints one JSON object."""
    done = subprocess.run([str(venv / "bin" / "python"), "-I", "-c", script], cwd=cwd,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_wheel_contains_the_sql_and_the_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sql_files = _included_sql(ROOT / "sql" / "install.sql", ROOT / "sql")
    assert "install.sql" in sql_files and "schema/tables.sql" in sql_files
    assert len(sql_files) > 30
    for rel in sql_files:
        assert f"calibcert/sql/{rel}" in names, rel
    migrations = _migration_files()
    assert "versions/0001_initial.postgresql.sql" in migrations
    assert any(m.startswith(f"versions/{HEAD_REVISION}_") and m.endswith(".postgresql.sql")
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
import json, sysconfig
import calibcert
from calibcert import migrate, schema
print(json.dumps({
    "site": sysconfig.get_paths()["purelib"],
    "module": calibcert.__file__,
    "sql_dir": str(schema.sql_dir()),
    "migrations_dir": str(schema.migrations_dir()),
    "install_sql": schema.install_sql(),
    "head": migrate.head(),
}))
""", cwd=tmp_path)
    site = Path(info["site"]).resolve()
    assert site.is_relative_to(venv.resolve())
    for key in ("module", "sql_dir", "migrations_dir"):
        path = Path(info[key]).resolve()
        assert path.is_relative_to(site), (key, path)
        assert not path.is_relative_to(ROOT), (key, path)
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
