"""Initial calibcert schema: collections, dataset types, datasets, tags, certifications.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_spec = importlib.util.spec_from_file_location(
    "_calibcert_frozen", Path(__file__).resolve().parents[1] / "_frozen.py"
)
_frozen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_frozen)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _frozen.run_file(f"0001_initial.{dialect}.sql")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _frozen.run_file(f"0001_initial.{dialect}.down.sql")
