"""Alembic migrations of the local store (run by db.store.schema when the store opens)."""
