"""Warning markers where a rep looks first (Today's meetings, the account list, the top of
the account pane): the briefing's worst warning per account, as an icon and one line."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon

from db.dto import AccountMark
from ui.icons import icon, icon_path


def mark_icon(mark: AccountMark) -> QIcon:
    return icon("briefing-stop" if mark.stop else "briefing-caution")


def _lead(mark: AccountMark) -> str:
    return "Do not pitch" if mark.stop else "Take care"


def mark_text(mark: AccountMark) -> str:
    """'Do not pitch: Open dispute: invoice INV-1. The briefing says more.'"""
    return f"{_lead(mark)}: {mark.text}. The briefing says more."


def mark_html(mark: AccountMark) -> str:
    """The line with its icon, for a label."""
    from html import escape

    picture = "briefing-stop" if mark.stop else "briefing-caution"
    return (
        f"<img src='{icon_path(picture)}' width=16 height=16>&nbsp;"
        f"<b>{_lead(mark)}:</b> {escape(mark.text)}"
    )


def mark_data(marks: dict[uuid.UUID, AccountMark], account_id: uuid.UUID, role: int) -> Any:
    """What an item model answers for `role` in its account column; None for no mark."""
    mark = marks.get(account_id)
    if mark is None:
        return None
    if role == Qt.ItemDataRole.DecorationRole:
        return mark_icon(mark)
    if role == Qt.ItemDataRole.ToolTipRole:
        return mark_text(mark)
    return None
