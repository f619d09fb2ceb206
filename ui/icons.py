"""Icons from resources/icons, loaded through importlib.resources."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from PySide6.QtGui import QIcon


@cache
def icon(name: str) -> QIcon:
    """The SVG icon `name` (without .svg) from resources/icons."""
    return QIcon(icon_path(name))


@cache
def icon_path(name: str) -> str:
    """The SVG icon `name` as a file path, for rich text (<img src=...>)."""
    with resources.as_file(_folder() / f"{name}.svg") as file:
        return str(file)


@cache
def _folder() -> Traversable:
    # Found once: each lookup walks importlib's readers, ~0.4 ms an icon at start-up.
    return resources.files("resources.icons")
