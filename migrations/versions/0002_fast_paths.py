"""Fast ways for one-dataset certify and for locking one collection; stored search paths.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_spec = importlib.util.spec_from_file_location(
    "_calibcert_frozen", Path(__file__).resolve().parents[1] / "_frozen.py"
)
_frozen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_frozen)


# SQLite's schema did not change in this revision: only the version number moves there.
def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _frozen.run_file("0002_fast_paths.postgresql.sql")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _frozen.run_file("0002_fast_paths.postgresql.down.sql")
