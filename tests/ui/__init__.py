"""UI tests with pytest-qt on a real store."""
