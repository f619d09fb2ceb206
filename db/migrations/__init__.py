"""Alembic migrations of the local store (run by db.schema when the store opens)."""
