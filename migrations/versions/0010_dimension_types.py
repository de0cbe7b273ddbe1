"""One value type per dimension, fixed at first use (table dimension), and one set of limits
and Unicode rules for names and data-ID values, on both backends (issue 14, item 2).

A database whose stored data IDs already mix the value types of a dimension (1 and "1"), or
whose names or values break the new rules where lookups would no longer reach them (not in
Unicode NFC; names with control or format characters), is refused before anything changes,
with a message naming each problem (for a mixed dimension, an example of each type).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from pathlib import Path

from alembic import context, op

revision = "0010"
down_revision = "0009"
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

#: The characters names may not hold as of this revision (calibcert.types.FORBIDDEN_RANGES
#: when it was written; copied, as a revision never changes once released).
_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]")


def _problems() -> tuple[list[str], list[str]]:
    """(mixed dimensions, names and values that break the rules), read from the database."""
    conn = op.get_bind().connection.driver_connection
    pg = op.get_bind().dialect.name == "postgresql"
    schema = "calib." if pg else ""
    cur = conn.cursor()
    cur.execute(f"SELECT name FROM {schema}collection")
    collections = [r[0] for r in cur.fetchall()]
    cur.execute(f"SELECT name, dimensions FROM {schema}dataset_type")
    types = cur.fetchall()
    cur.execute(f"SELECT value{'::text' if pg else ''} FROM {schema}data_id")
    examples: dict[str, dict[str, object]] = {}
    values: set[str] = set()
    for (text,) in cur.fetchall():
        for key, value in json.loads(text).items():
            kind = "string" if isinstance(value, str) else "integer" if isinstance(
                value, int) and not isinstance(value, bool) else None
            if kind is not None:
                examples.setdefault(key, {}).setdefault(kind, value)
            if isinstance(value, str):
                values.add(value)
    mixed = [f"dimension {key!r} has integer values (e.g. {json.dumps(ex['integer'])}) and"
             f" string values (e.g. {json.dumps(ex['string'], ensure_ascii=False)})"
             for key, ex in sorted(examples.items()) if len(ex) == 2]
    names = [("collection name", n) for n in collections]
    names += [("dataset type name", n) for n, _ in types]
    for _, dims in types:
        names += [("dimension name", d) for d in (dims if pg else json.loads(dims))]
    bad = sorted({f"{what} {name!r}" for what, name in names
                  if unicodedata.normalize("NFC", name) != name or _FORBIDDEN.search(name)})
    bad += sorted(f"data-ID value {v!r}" for v in values
                  if unicodedata.normalize("NFC", v) != v)
    return mixed, bad


def upgrade() -> None:
    if context.is_offline_mode():
        # --sql: the data can only be read where the script runs. The frozen file begins
        # with the same refusal in SQL (same problems, same messages), before it changes
        # anything.
        _frozen.run_revision(_STEM)
        return
    mixed, bad = _problems()
    if mixed or bad:
        from calibcert.errors import DataIdError, InvalidNameError

        parts = []
        if mixed:
            parts.append("stored data IDs mix the value types of a dimension: "
                         + "; ".join(mixed) + " (make each dimension's values one type)")
        if bad:
            parts.append("stored names or values break its rules (Unicode NFC, no control or"
                         " format characters): " + "; ".join(bad) + " (rename them)")
        raise (DataIdError if mixed else InvalidNameError)(
            "cannot upgrade to revision 0010: " + "; and ".join(parts)
            + ". Nothing was changed; upgrade again once they are fixed.",
            mixed_dimensions=mixed, invalid=bad)
    _frozen.run_revision(_STEM)


def downgrade() -> None:
    _frozen.run_revision(_STEM, down=True)
