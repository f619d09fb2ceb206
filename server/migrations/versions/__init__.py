"""Server revision files, oldest first."""
