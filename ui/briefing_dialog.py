"""The pre-call briefing window: one account's situation, to read in two minutes, to
export as PDF or print. Non-modal: the rep can keep it open beside the account."""

from __future__ import annotations

import uuid
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from db.briefing.report import GROUP_LINK, briefing_html, briefing_title, page_header
from ui.printing import (
    ask_and_print,
    documents_folder,
    export_in_background,
    paper_buttons,
    safe_file_name,
)
from ui.screen_fit import fit_to_screen
from ui.tasks import Runner
from ui.window_runner import WindowRunner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.briefing.dto import Briefing
    from db.briefing.service import BriefingService


class BriefingDialog(QDialog):
    """Shows the briefing for a visit to an account (for one meeting, or its next one);
    freed once closed."""

    loaded = Signal()
    exported = Signal(str)  # the PDF's path

    def __init__(
        self,
        runner: Runner,
        service: BriefingService,
        account_id: uuid.UUID,
        meeting_id: uuid.UUID | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = WindowRunner(runner, self)
        self.released = self._runner.released
        self._service = service
        self.account_id = account_id
        self.meeting_id = meeting_id
        self.briefing: Briefing | None = None
        self.expanded: set[str] = set()
        self.setWindowTitle("Briefing")
        fit_to_screen(self, QSize(860, 900))

        self.view = QTextBrowser()
        self.view.setObjectName("briefing")
        self.view.setOpenLinks(False)  # group links open the group, nothing else
        self.view.anchorClicked.connect(self._on_link)
        self.view.setHtml("<p style='color:#7a8591'>Preparing the briefing…</p>")

        refresh = QPushButton("Refresh")
        refresh.setToolTip("Read the store again, after a sync (Ctrl+R)")
        refresh.clicked.connect(self.reload)
        export, print_button = paper_buttons(self.ask_export, self.ask_print)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        # Where the last export went: said in the window, not in a box to click away.
        self.saved = QLabel()
        self.saved.setObjectName("saved")
        self.saved.setTextFormat(Qt.TextFormat.RichText)
        self.saved.setOpenExternalLinks(True)  # the PDF opens in the system's viewer
        self.saved.setWordWrap(True)
        self.saved.hide()
        footer = QHBoxLayout()
        footer.addWidget(refresh)
        footer.addStretch(1)
        footer.addWidget(export)
        footer.addWidget(print_button)
        footer.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.view, stretch=1)
        layout.addWidget(self.saved)
        layout.addLayout(footer)
        for keys, action in (
            ("Ctrl+R", self.reload),
            ("Ctrl+E", self.ask_export),
            ("Ctrl+P", self.ask_print),
        ):
            QShortcut(QKeySequence(keys), self, action)
        self.reload()

    def reload(self) -> None:
        service, account_id, meeting_id = self._service, self.account_id, self.meeting_id
        self._runner.read(lambda: service.briefing(account_id, meeting_id), self._on_loaded)

    def _on_loaded(self, briefing: Briefing | None) -> None:
        self.briefing = briefing
        if briefing is None:
            self.view.setHtml("<p>This account is no longer in your territory.</p>")
        else:
            self.setWindowTitle(f"Briefing · {briefing.account_name}")
            self._render()
        self.loaded.emit()

    def _render(self) -> None:
        assert self.briefing is not None
        scroll = self.view.verticalScrollBar().value()
        self.view.setHtml(briefing_html(self.briefing, self.expanded))
        self.view.verticalScrollBar().setValue(scroll)

    def _on_link(self, url: QUrl) -> None:
        text = url.toString()
        if not text.startswith(GROUP_LINK) or self.briefing is None:
            return
        key = text[len(GROUP_LINK) :]
        self.expanded.symmetric_difference_update({key})
        self._render()

    def toggle_group(self, key: str) -> None:
        """Opens or closes a timeline group, as clicking it does."""
        self._on_link(QUrl(f"{GROUP_LINK}{key}"))

    # -- paper ---------------------------------------------------------------------------

    def default_export_path(self) -> Path:
        """Where Export PDF offers to save: the rep's Documents folder, under a name every
        file system takes ("Briefing Østergaard Capital A-S 2026-12-05.pdf")."""
        assert self.briefing is not None
        return documents_folder() / safe_file_name(briefing_title(self.briefing))

    def ask_export(self) -> None:
        if self.briefing is None:
            return
        default = self.default_export_path()
        path, _ = QFileDialog.getSaveFileName(self, "Export briefing", str(default), "PDF (*.pdf)")
        if path:
            self.export_pdf(Path(path))

    def export_pdf(self, path: Path) -> None:
        """Writes the briefing as a PDF off the GUI thread (the groups opened on screen
        printed whole), then says where it went."""
        assert self.briefing is not None
        html = briefing_html(self.briefing, self.expanded, printable=True)
        title, header = briefing_title(self.briefing), page_header(self.briefing)
        export_in_background(
            self._runner, self, html, path, self._on_exported, title=title, header=header
        )

    def _on_exported(self, path: str) -> None:
        saved = Path(path)
        link = QUrl.fromLocalFile(str(saved)).toString()
        self.saved.setText(
            f"Saved <a href='{escape(link, quote=True)}'>{escape(saved.name)}</a> "
            f"in {escape(str(saved.parent))}"
        )
        self.saved.setToolTip(str(saved))
        self.saved.show()
        self.exported.emit(path)

    def ask_print(self) -> None:
        if self.briefing is not None:
            html = briefing_html(self.briefing, self.expanded, printable=True)
            title, header = briefing_title(self.briefing), page_header(self.briefing)
            ask_and_print(html, title, self, header)
