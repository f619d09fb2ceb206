"""Sync engine tests: real stores, a real server on loopback."""
