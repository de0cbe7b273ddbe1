"""check_integrity (twins sql/functions/check_integrity.sql; the checks themselves are the
statements of sql/sqlite/functions/check_integrity.sql, whose header says where they differ
by necessity)."""

from __future__ import annotations

import json

from ...schema import HEAD_REVISION
from ...types import IntegrityProblem
from .catalog import _WALK, Catalog, _script
from .values import MAX_US, MIN_US, _span_json, _uuid

_CHECKS = _script("check_integrity")


def _uuid_text(value: object) -> str | None:
    """A stored dataset id as text; a value that is not 16 bytes (only a raw writer can
    store one) as its hex digits, so that the check still names it."""
    if isinstance(value, bytes) and len(value) == 16:
        return str(_uuid(value))
    return None if value is None else (value.hex() if isinstance(value, bytes) else str(value))


def _span(b: int, e: int) -> str:
    """calib._span_json of a stored span, as JSON text (out-of-range raw values as given)."""
    return json.dumps(_span_json(b, e) if MIN_US <= b and e <= MAX_US else [b, e])


class CheckIntegrity(Catalog):
    def _check_integrity(self) -> list[IntegrityProblem]:
        conn = self._conn
        conn.create_function("_uuid_text", 1, _uuid_text, deterministic=True)
        conn.create_function("_span_json", 2, _span, deterministic=True)
        out: list[IntegrityProblem] = []
        with self._read():
            # The fresh flattening of every collection, for search_path_mismatch.
            conn.execute("DELETE FROM temp.search_path_scope")
            conn.execute("INSERT INTO temp.search_path_scope SELECT collection_id"
                         " FROM collection")
            for statement in _WALK:
                conn.execute(statement)
            for statement in _CHECKS:
                rows = conn.execute(statement, {"head": HEAD_REVISION}).fetchall()
                out.extend(IntegrityProblem(r[0], json.loads(r[1])) for r in rows)
        return out
