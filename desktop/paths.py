"""Where the app keeps its data by default (platformdirs), unless --data-dir says otherwise."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "Fieldbrief"


def default_data_dir() -> Path:
    """The per-user data folder: ~/.local/share/Fieldbrief on Linux."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
