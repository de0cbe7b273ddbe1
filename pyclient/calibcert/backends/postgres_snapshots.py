"""The PostgreSQL backend's snapshot primitive (README "Snapshots"): calib.snapshot_collection.
A mixin of :class:`calibcert.backends.postgres.PostgresRegistry` (uses its ``_scalar``)."""

from __future__ import annotations

from typing import Any


class PostgresSnapshots:
    """Snapshot primitive; mixed into PostgresRegistry."""

    _scalar: Any

    def _snapshot_collection(self, source: str, name: str, as_of: int | None) -> int:
        return self._scalar("SELECT calib.snapshot_collection(p_source => %(s)s::text,"
                            " p_name => %(n)s::text, p_as_of => %(e)s::bigint)",
                            {"s": source, "n": name, "e": as_of})
