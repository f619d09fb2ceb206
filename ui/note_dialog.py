"""The visit-note window: a rich-text editor that saves as the rep types (within a second
of a keystroke), check-in and check-out, and a side-by-side merge when two devices rewrote
the note offline."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QFont,
    QKeySequence,
    QMouseEvent,
    QShortcut,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextListFormat,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.tasks import Runner
from ui.window_runner import WindowRunner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.changes import Changes
    from db.field.notes import NoteBook, NoteView

SAVE_AFTER_MS = 1000  # what was typed is in the store at most this long (plus the write) after
MARKDOWN = QTextDocument.MarkdownFeature.MarkdownDialectGitHub
_UNCHECKED = QTextBlockFormat.MarkerType.Unchecked
_CHECKED = QTextBlockFormat.MarkerType.Checked
_NO_MARKER = QTextBlockFormat.MarkerType.NoMarker
_HEADING_SIZES = {1: 1.6, 2: 1.35, 3: 1.15}

log = logging.getLogger(__name__)


class NoteTextEdit(QTextEdit):
    """A rich-text editor whose checkboxes tick with a click on the box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptRichText(False)  # pasted text arrives plain, not with a web page's styles
        self.setTabChangesFocus(False)
        self.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.viewport()
            and event.type() == QEvent.Type.MouseButtonPress
            and isinstance(event, QMouseEvent)
            and self._toggle_at(event)
        ):
            return True
        return super().eventFilter(watched, event)

    def _toggle_at(self, event: QMouseEvent) -> bool:
        cursor = self.cursorForPosition(event.position().toPoint())
        block = cursor.block()
        if block.blockFormat().marker() == _NO_MARKER or cursor.positionInBlock() != 0:
            return False
        text_start = self.cursorRect(QTextCursor(block)).left()
        if event.position().x() >= text_start:
            return False  # a click in the text, not on the box
        toggle_checkbox(QTextCursor(block))
        return True


def toggle_checkbox(cursor: QTextCursor) -> None:
    """Ticks or unticks the checkbox of the cursor's line; makes the line one if it is not."""
    block_format = cursor.blockFormat()
    marker = block_format.marker()
    if marker == _NO_MARKER:
        if cursor.currentList() is None:
            cursor.createList(QTextListFormat.Style.ListDisc)
        block_format = cursor.blockFormat()
        block_format.setMarker(_UNCHECKED)
    else:
        block_format.setMarker(_CHECKED if marker == _UNCHECKED else _UNCHECKED)
    cursor.setBlockFormat(block_format)


def set_heading(cursor: QTextCursor, level: int) -> None:
    """Makes the cursor's line a heading of `level` (0: body text again)."""
    block_format = cursor.blockFormat()
    block_format.setHeadingLevel(level)
    cursor.setBlockFormat(block_format)
    chars = QTextCharFormat()
    chars.setFontWeight(QFont.Weight.Bold if level else QFont.Weight.Normal)
    chars.setProperty(QTextCharFormat.Property.FontSizeAdjustment, 0)
    base = cursor.document().defaultFont().pointSizeF()
    chars.setFontPointSize(base * _HEADING_SIZES.get(level, 1.0))
    line = QTextCursor(cursor.block())
    line.select(QTextCursor.SelectionType.BlockUnderCursor)
    line.mergeCharFormat(chars)


class NoteDialog(QDialog):
    """One note, saved as it is typed; non-modal, one window per note.

    Closed, it frees itself once what was typed is in the store (while a save fails, it
    stays, hidden, with the text)."""

    saved = Signal(int)  # characters of Markdown now in the store
    loaded = Signal()
    merged = Signal()

    def __init__(
        self, runner: Runner, book: NoteBook, note_id: uuid.UUID, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        # Typed but not yet in the store (a deleted note has nowhere to save it to).
        self._runner = WindowRunner(
            runner, self, unsaved=lambda: self._dirty and self.view is not None
        )
        self.released = self._runner.released
        self._book = book
        self.note_id = note_id
        self.view: NoteView | None = None
        self._dirty = False
        self._saving = False
        self._loading = True
        self.setWindowTitle("Visit note")
        self.resize(900, 760)

        self._title = QLabel("Loading…")
        self._title.setObjectName("accountName")
        self._subtitle = QLabel()
        self._subtitle.setObjectName("subtitle")
        self.check_in_button = QPushButton("Check in")
        self.check_in_button.setToolTip("Record that the visit started now (Ctrl+Shift+I)")
        self.check_in_button.clicked.connect(self.check_in)
        self.check_out_button = QPushButton("Check out")
        self.check_out_button.setToolTip("Record that the visit ended now (Ctrl+Shift+O)")
        self.check_out_button.clicked.connect(self.check_out)
        self._times = QLabel()
        self._times.setObjectName("subtitle")
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self._title)
        titles.addWidget(self._subtitle)
        header.addLayout(titles, stretch=1)
        header.addWidget(self._times)
        header.addWidget(self.check_in_button)
        header.addWidget(self.check_out_button)

        self.editor = NoteTextEdit()
        # Read-only (not disabled) until the note is loaded: the keyboard's focus starts in
        # the text, never on a button a typed space or Enter would press.
        self.editor.setReadOnly(True)
        self.editor.setPlaceholderText("What happened at the visit…")
        self.editor.textChanged.connect(self._on_text_changed)
        toolbar = QHBoxLayout()
        for text, tip, action in (
            ("H1", "Heading (Ctrl+Alt+1)", lambda: self._heading(1)),
            ("H2", "Subheading (Ctrl+Alt+2)", lambda: self._heading(2)),
            ("Text", "Body text (Ctrl+Alt+0)", lambda: self._heading(0)),
            ("• List", "Bullet list (Ctrl+Shift+8)", self._bullets),
            ("☐ Checkbox", "A promise: it becomes a follow-up (Ctrl+Shift+C)", self._checkbox),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(action)
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        self._status = QLabel("")
        self._status.setObjectName("subtitle")
        toolbar.addWidget(self._status)

        # Shown only when two devices rewrote the note: the other version beside this one.
        self._merge_bar = QWidget()
        merge_layout = QHBoxLayout(self._merge_bar)
        merge_layout.setContentsMargins(0, 0, 0, 0)
        self._merge_text = QLabel()
        self._merge_text.setWordWrap(True)
        self._merge_text.setObjectName("warning")
        take = QPushButton("Use the other version")
        take.clicked.connect(self.take_other)
        done = QPushButton("Done merging")
        done.setToolTip("Keep the text on the right as the note (both devices get it)")
        done.clicked.connect(self.finish_merge)
        merge_layout.addWidget(self._merge_text, stretch=1)
        merge_layout.addWidget(take)
        merge_layout.addWidget(done)
        self._merge_bar.hide()
        self.other = QTextBrowser()
        self.other.hide()
        splitter = QSplitter()
        splitter.addWidget(self.other)
        splitter.addWidget(self.editor)
        splitter.setStretchFactor(1, 1)

        close = QPushButton("Close")
        close.clicked.connect(self.close)
        footer = QHBoxLayout()
        footer.addWidget(QLabel("Saved as you type; tick a checkbox to mark a follow-up done."))
        footer.addStretch(1)
        footer.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(header)
        layout.addLayout(toolbar)
        layout.addWidget(self._merge_bar)
        layout.addWidget(splitter, stretch=1)
        layout.addLayout(footer)
        # No button is the dialog's default: Enter in the note is a new line, never "the
        # visit started now"; a click leaves the keyboard in the text.
        for push in self.findChildren(QPushButton):
            push.setAutoDefault(False)
            push.setDefault(False)
            push.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for tool in self.findChildren(QToolButton):
            tool.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_AFTER_MS)
        self._save_timer.timeout.connect(self.save_now)
        for keys, action in (
            ("Ctrl+Alt+1", lambda: self._heading(1)),
            ("Ctrl+Alt+2", lambda: self._heading(2)),
            ("Ctrl+Alt+0", lambda: self._heading(0)),
            ("Ctrl+Shift+8", self._bullets),
            ("Ctrl+Shift+C", self._checkbox),
            ("Ctrl+Shift+I", self.check_in),
            ("Ctrl+Shift+O", self.check_out),
            ("Ctrl+S", self.save_now),
        ):
            QShortcut(QKeySequence(keys), self, action)
        self.reload()

    # -- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        book, note_id = self._book, self.note_id
        self._runner.read(lambda: book.note(note_id), self._on_loaded)

    def _on_loaded(self, view: NoteView | None) -> None:
        first_load, self.view = self.view is None, view
        if view is None:
            self._title.setText("This note was deleted")
            self.editor.setReadOnly(True)
            return
        self.setWindowTitle(f"Visit note · {view.account_name}")
        self._title.setText(view.account_name)
        when = view.meeting_label or f"Written {view.created_at.astimezone():%d %b %Y}"
        self._subtitle.setText(when + (f" · by {view.author}" if view.author else ""))
        self._show_times(view)
        if not self._dirty:  # never throw away what the rep typed since
            self._loading = True
            self.editor.setMarkdown(view.body)
            self._loading = False
        self._show_merge(view)
        self.editor.setReadOnly(False)
        if first_load:
            self.editor.moveCursor(QTextCursor.MoveOperation.End)  # where the rep goes on
            self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        self.loaded.emit()

    def _show_times(self, view: NoteView) -> None:
        parts = []
        if view.check_in_at:
            parts.append(f"in {view.check_in_at.astimezone():%H:%M}")
        if view.check_out_at:
            parts.append(f"out {view.check_out_at.astimezone():%H:%M}")
        self._times.setText(" · ".join(parts))
        self.check_in_button.setEnabled(view.check_in_at is None)
        self.check_out_button.setEnabled(view.check_out_at is None)

    def _show_merge(self, view: NoteView) -> None:
        conflict = view.conflict_id is not None
        self._merge_bar.setVisible(conflict)
        self.other.setVisible(conflict)
        if conflict:
            by = f" (sent by {view.other_by})" if view.other_by else ""
            self._merge_text.setText(
                "This note was rewritten on two devices while offline. Left: the text the "
                f"server could not take{by}; right: the note as the server keeps it. Nothing "
                "is lost: edit the right side until it says what both should, then press "
                "Done merging."
            )
            self.other.setMarkdown(view.other_body or "")

    # -- saving ----------------------------------------------------------------------------

    def _on_text_changed(self) -> None:
        if self._loading:
            return
        self._dirty = True
        self._status.setText("Editing…")
        if not self._save_timer.isActive():  # a deadline from the first keystroke, not the last
            self._save_timer.start()

    def markdown(self) -> str:
        return self.editor.document().toMarkdown(MARKDOWN)

    def save_now(self) -> None:
        """Writes what is typed now (off the GUI thread); later typing gets its own save."""
        self._save_timer.stop()
        if not self._dirty or self.view is None:
            return
        if self._saving:
            self._save_timer.start()  # one write at a time, in typing order
            return
        body = self.markdown()
        self._dirty = False
        self._saving = True
        self._status.setText("Saving…")
        book, note_id = self._book, self.note_id
        self._runner.write(
            lambda: book.save(note_id, body),
            lambda _changes: self._on_saved(len(body)),
            self._on_save_failed,
        )

    def _on_saved(self, length: int) -> None:
        self._saving = False
        self._status.setText(f"Saved {datetime.now():%H:%M:%S}")
        self.saved.emit(length)
        if not self._dirty:
            return
        if self.isVisible():
            if not self._save_timer.isActive():
                self._save_timer.start()
        else:
            self.save_now()  # closed: nothing more will be typed, so no reason to wait

    def _on_save_failed(self, exc: Exception) -> None:
        log.error("saving a visit note failed", exc_info=exc)
        self._saving = False
        self._dirty = True
        self._status.setText("Not saved")
        # Closed meanwhile, the window stays (hidden) with the text: opening the note again
        # brings it back, so nothing typed is lost.
        message = f"The note could not be saved: {exc}"
        if not self.isVisible():
            message += "\n\nOpen the note again to keep what you typed."
        QMessageBox.warning(self, "Visit note", message)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_now()
        super().closeEvent(event)

    # -- actions -----------------------------------------------------------------------------

    def check_in(self) -> None:
        self._stamp(lambda: self._book.check_in(self.note_id))

    def check_out(self) -> None:
        self._stamp(lambda: self._book.check_out(self.note_id))

    def _stamp(self, write: Callable[[], Changes]) -> None:
        self.save_now()
        self._runner.write(write, lambda _changes: self.reload())

    def take_other(self) -> None:
        if self.view is not None and self.view.other_body is not None:
            self.editor.setMarkdown(self.view.other_body)

    def finish_merge(self) -> None:
        view = self.view
        if view is None or view.conflict_id is None:
            return
        self._save_timer.stop()
        body, conflict_id = self.markdown(), view.conflict_id
        self._dirty = False

        def done(_changes: Changes) -> None:
            self.merged.emit()
            self.reload()

        self._runner.write(
            lambda: self._book.finish_merge(self.note_id, body, conflict_id),
            done,
            self._on_save_failed,
        )

    def _heading(self, level: int) -> None:
        set_heading(self.editor.textCursor(), level)

    def _bullets(self) -> None:
        self.editor.textCursor().createList(QTextListFormat.Style.ListDisc)

    def _checkbox(self) -> None:
        toggle_checkbox(self.editor.textCursor())
        self._on_text_changed()  # a changed marker is an edit, though no text changed
