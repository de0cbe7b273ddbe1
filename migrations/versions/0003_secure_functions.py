"""Security: every function pins search_path = pg_catalog, pg_temp; every object belongs to
the NOLOGIN, non-superuser role calib_owner; PUBLIC may execute nothing.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_spec = importlib.util.spec_from_file_location(
    "_calibcert_frozen", Path(__file__).resolve().parents[1] / "_frozen.py"
)
_frozen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_frozen)


# SQLite has no roles, owners or search_path: only the version number moves there.
def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _frozen.run_file("0003_secure_functions.postgresql.sql")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _frozen.run_file("0003_secure_functions.postgresql.down.sql")
