"""The central server reps sync with."""
