"""The desktop app's entry point and composition root: builds the store, runner and window."""
