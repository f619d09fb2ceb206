"""F1: every keyboard shortcut, grouped by the window or page it works in, in a window that
fits the screen (it scrolls rather than growing past it)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from ui.lock_screen import LOCK_SHORTCUT
from ui.screen_fit import fit_to_screen

# (where, [(keys, what they do)]): the keys as Qt writes them, so tests can find each one.
SHORTCUT_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Anywhere in the main window",
        (
            ("Ctrl+1", "Today"),
            ("Ctrl+2", "Accounts"),
            ("Ctrl+3", "Search"),
            ("Ctrl+4", "Needs attention"),
            ("Ctrl+5", "Profiles"),
            ("Ctrl+6", "Follow-ups"),
            ("Ctrl+7", "Leads"),
            ("Ctrl+B", "Briefing for the selected meeting (Today) or account"),
            ("Ctrl+N", "Visit note for the selected meeting or account (saved as you type)"),
            ("Ctrl+Shift+F", "Search everything"),
            ("Ctrl+I", "Import meetings from an .ics file"),
            ("Ctrl+Shift+E", "Export meetings as an .ics file"),
            ("Ctrl+Shift+P", "Print today's briefings: one PDF, a cover listing the day"),
            ("F5", "Sync now"),
            ("Ctrl+Shift+L", "Sign in to the sync server"),
            (LOCK_SHORTCUT, "Lock the window now (also from a note or briefing)"),
            ("Ctrl+,", "Settings: idle lock, company CA certificate"),
            ("F1", "This list"),
            ("Ctrl+Q", "Quit"),
        ),
    ),
    (
        "Today",
        (("Enter", "Open the selected meeting's account"),),
    ),
    (
        "Lock screen",
        (("Enter", "Unlock with what is typed"),),
    ),
    (
        "Accounts",
        (
            ("Ctrl+F", "Search the account list"),
            ("Esc", "Clear the account search"),
            ("Ctrl+L", "Move the account on the relationship ladder, or see its history"),
            ("Ctrl+Shift+H", "Marketing holds for the account's contacts"),
            ("Ctrl+Z", "Undo the last ladder move while its bar shows"),
            ("Enter", "On a contact: open their customer profile"),
        ),
    ),
    (
        "Search",
        (("Enter", "Open the selected result's account"),),
    ),
    (
        "Follow-ups",
        (
            ("Space", "Tick the selected follow-up off (or reopen it)"),
            ("Ctrl+Shift+N", "New follow-up for the open account"),
            ("Ctrl+Z", "Undo the last tick while its bar shows"),
        ),
    ),
    (
        "Leads",
        (
            ("A / R / O", "Accept / reject / record how the selected lead ended"),
            ("Ctrl+Z", "Undo the last decision while its bar shows"),
        ),
    ),
    (
        "Visit note",
        (
            ("Ctrl+S", "Save now (it also saves as you type)"),
            ("Ctrl+Shift+I / Ctrl+Shift+O", "Check in / check out"),
            ("Ctrl+Alt+1 / Ctrl+Alt+2 / Ctrl+Alt+0", "Heading / subheading / body text"),
            ("Ctrl+Shift+8", "Bullet list"),
            ("Ctrl+Shift+C", "Checkbox: a promise that becomes a follow-up"),
        ),
    ),
    (
        "Customer profile",
        (
            ("Ctrl+PgDown / Ctrl+PgUp", "Next / previous section"),
            ("Ctrl+Shift+S", "Show sensitive answers"),
            ("Ctrl+H", "History of the answers"),
            ("Ctrl+E / Ctrl+P", "Export as PDF / print"),
        ),
    ),
    (
        "Briefing",
        (
            ("Ctrl+R", "Read it again (after a sync)"),
            ("Ctrl+E / Ctrl+P", "Export as PDF / print"),
        ),
    ),
)


def shortcuts_html() -> str:
    parts = []
    for where, keys in SHORTCUT_GROUPS:
        rows = "".join(
            f"<tr><td width='38%'><b>{escape(k)}</b></td><td>{escape(what)}</td></tr>"
            for k, what in keys
        )
        parts.append(f"<h3>{escape(where)}</h3><table cellpadding=3 width='100%'>{rows}</table>")
    return "".join(parts)


class ShortcutsDialog(QDialog):
    """The shortcut list; Esc or Close shuts it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.text = QTextBrowser()
        self.text.setHtml(shortcuts_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        fit_to_screen(self, QSize(640, 720))
