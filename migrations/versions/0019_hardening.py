"""Security hardening after a hostile-caller review (issue 11's rules, kept): installs and
upgrades that no object planted in public can bind into; an epoch lock only calibcert
takes; request replays tied to their transaction. Sources: migrations/sources/0019_hardening.*.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

revision = "0019"
down_revision = "0018"
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
