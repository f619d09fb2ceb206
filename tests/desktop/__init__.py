"""Desktop wiring and command-line tests."""
