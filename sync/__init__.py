"""Sync with the central server: what both sides share, and the client engine.

Shared with the server (importing nothing of db/, the app or Qt): protocol, entities,
row_schema, enums, profile_definition, csv_safe, private_files, seed and demo. The client
side (engine, collector, outcome) uses db/. tests/test_layers.py keeps that true.
"""
