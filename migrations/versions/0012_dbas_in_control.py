"""DBAs in control (issue 15): three roles per database with a prefix chosen at install,
collection states and writer lists, bounded waits, the integrity check, statistics and a
COMMENT on every public function.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

revision = "0012"
down_revision = "0011"
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
