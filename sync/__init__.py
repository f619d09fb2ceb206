"""Sync with the central server: the shared protocol and the client engine (issue 3)."""
