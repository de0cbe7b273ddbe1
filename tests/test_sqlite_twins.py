"""Every public SQL function has a declared SQLite twin, or a stated reason not to.

The public functions are those created by the files of sql/functions whose name does not
start with ``_`` (a file may define several overloads of one name, e.g. find.sql). Each
must appear in ``calibcert.backends.sqlite.TWINS`` (a module of the package that defines
the operation as method ``_<name>`` of a class of its own) or in ``POSTGRES_ONLY`` with a
reason.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from calibcert.backends import sqlite as sqlite_backend

FUNCTIONS = Path(__file__).resolve().parent.parent / "sql" / "functions"
_CREATE = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+calib\.(\w+)\s*\(", re.I)


def public_functions() -> set[str]:
    names: set[str] = set()
    for path in sorted(FUNCTIONS.glob("*.sql")):
        if path.name.startswith("_"):
            continue
        names.update(n for n in _CREATE.findall(path.read_text()) if not n.startswith("_"))
    return names


def test_the_sql_functions_are_found() -> None:
    names = public_functions()
    assert {"certify", "find", "find_many", "set_chain"} <= names


@pytest.mark.parametrize("name", sorted(public_functions()))
def test_public_function_has_a_twin_or_a_reason(name: str) -> None:
    twins, only = sqlite_backend.TWINS, sqlite_backend.POSTGRES_ONLY
    assert name in twins or name in only, (
        f"calib.{name} has no SQLite twin: add it to calibcert.backends.sqlite.TWINS, or say "
        "why it is PostgreSQL-only in POSTGRES_ONLY")
    if name in only:
        assert name not in twins, f"calib.{name} is both twinned and PostgreSQL-only"
        assert only[name].strip(), f"POSTGRES_ONLY[{name!r}] gives no reason"
        return
    module = importlib.import_module(twins[name])
    defined = [cls for _, cls in inspect.getmembers(module, inspect.isclass)
               if cls.__module__ == module.__name__ and f"_{name}" in cls.__dict__]
    if name == "find":  # the registry's find is find_many of one query (Registry._find)
        defined = [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                   if cls.__module__ == module.__name__ and "_find_many" in cls.__dict__]
    assert defined, f"{twins[name]} defines no method _{name} (the twin of calib.{name})"
    assert issubclass(sqlite_backend.SqliteRegistry, defined[0])


def test_no_twin_without_a_sql_function() -> None:
    stale = set(sqlite_backend.TWINS) - public_functions()
    assert not stale, f"TWINS names functions sql/functions does not define: {sorted(stale)}"
