"""History (issue 16, items 1-3): a change log with commit-ordered epochs, row versions of
every versioned table kept by triggers, as-of lookups and history(). PostgreSQL only;
SQLite only moves its version number.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

revision = "0014"
down_revision = "0013"
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
