"""Shared test helpers: factories for store rows."""
