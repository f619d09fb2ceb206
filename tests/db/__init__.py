"""Store tests: real SQLite files, no Qt."""
