"""The layout rule of sql/functions/: each file defines one function, named like the file
(overloads of that name included), so that a revision can include exactly the functions it
changes (migrations/freeze.py refuses to re-create an unchanged function) and a reader finds
a function by its name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parent.parent / "sql" / "functions"
_CREATE = re.compile(r"^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+calib\.(\w+)\s*\(", re.I | re.M)
INSTALL = (FUNCTIONS.parent / "install.sql").read_text()


@pytest.mark.parametrize("path", sorted(FUNCTIONS.glob("*.sql")), ids=lambda p: p.name)
def test_each_file_defines_the_function_it_is_named_after(path: Path) -> None:
    names = set(_CREATE.findall(path.read_text()))
    assert names == {path.stem}, f"{path.name} defines {sorted(names)}"
    assert f"\\ir functions/{path.name}\n" in INSTALL, f"sql/install.sql omits {path.name}"
