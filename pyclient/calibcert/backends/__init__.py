"""Backends: PostgreSQL (the PL/pgSQL functions) and the SQLite fallback."""
