"""Collection digests (issue 16, item 7): calib.collection_digest, the sha256 of a canonical
form of a collection's content (README "Collection digests"), granted to the reader role.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

revision = "0013"
down_revision = "0012"
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
