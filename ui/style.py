"""The app's look: Fusion with a calm light palette and a few named widget styles."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

STYLE_SHEET = """
QLabel#accountName { font-size: 20px; font-weight: 600; color: #1f2d3d; }
QLabel#pageTitle { font-size: 20px; font-weight: 600; color: #1f2d3d; }
QLabel#subtitle { color: #6b7480; }
QLabel#sectionTitle { font-weight: 600; color: #3b4a5c; margin-top: 6px; }
QLabel#emptyState { color: #6b7480; font-size: 14px; padding: 24px; }
QListWidget#navigation { background: #eef1f5; border: none; border-right: 1px solid #d5dae1;
    font-size: 14px; padding-top: 8px; }
QListWidget#navigation::item { padding: 10px 12px; border-radius: 6px; margin: 2px 6px; }
QListWidget#navigation::item:selected { background: #d8e4f2; color: #1f2d3d; }
QListWidget#profileSections { background: #f4f6f9; border: 1px solid #d5dae1; }
QListWidget#profileSections::item { padding: 6px 8px; border-bottom: 1px solid #e4e8ee; }
QListWidget#profileSections::item:selected { background: #d8e4f2; color: #1f2d3d; }
QProgressBar { border: 1px solid #c8cdd3; border-radius: 4px; text-align: center;
    background: white; }
QProgressBar::chunk { background: #8fbbe6; border-radius: 3px; }
QTableView { border: 1px solid #d5dae1; selection-background-color: #cfe0f3;
    selection-color: #1f2d3d; }
QHeaderView::section { background: #f4f5f7; border: none; border-bottom: 1px solid #d5dae1;
    padding: 4px 6px; font-weight: 600; color: #3b4a5c; }
QLineEdit, QComboBox { padding: 5px 8px; border: 1px solid #c8cdd3; border-radius: 4px;
    background: white; }
QLineEdit:focus { border-color: #4a90d9; }
QFrame#nextMeeting { background: #f1f6fc; border: 1px solid #c9d9ec; border-radius: 8px; }
QLabel#cardHeading { font-size: 15px; font-weight: 600; color: #1f2d3d; }
QLabel#cardWarning, QLabel#paneWarning { color: #1f2d3d; background: #fbe9e7;
    border: 2px solid #1f2d3d; border-radius: 4px; padding: 4px 6px; }
QStatusBar { background: #f4f5f7; border-top: 1px solid #d5dae1; }
"""


# Given to QApplication when the app starts it (run_app): the style is then made in C++
# alone. Setting it from Python makes PySide build every enum of QStyle, ~10 ms of start.
STYLE_ARGUMENTS = ("-style", "fusion")


def apply_style(app: QApplication, *, fusion_set: bool = False) -> None:
    """Fusion looks the same on every desktop and offscreen, which keeps screenshots honest.
    `fusion_set`: the app was made with STYLE_ARGUMENTS."""
    if not fusion_set:
        app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#fbfbfc"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f8fa"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#cfe0f3"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#1f2d3d"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#1f2d3d"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#1f2d3d"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
