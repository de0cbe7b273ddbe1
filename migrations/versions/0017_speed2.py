"""Issue 17, continued (speed of PostgreSQL's and SQLite's changing writes, find_many
whatever the statistics): see the sources in migrations/sources/0017_speed2.*.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_spec = importlib.util.spec_from_file_location(
    "_calibcert_frozen", Path(__file__).resolve().parents[1] / "_frozen.py"
)
_frozen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_frozen)
# The frozen files next to this module (python migrations/freeze.py writes them from
# migrations/sources/); a backend without one only moves its version number.
_STEM = Path(__file__).stem


def upgrade() -> None:
    _frozen.run_revision(_STEM)


def downgrade() -> None:
    _frozen.run_revision(_STEM, down=True)
