"""The visit-note window: a rich-text editor that saves as the rep types (within a second
of a keystroke; a new note is written at the first one), check-in and check-out and their
correction, and a side-by-side merge when two devices rewrote the note offline."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
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

from db.dates import clock, day, day_and_time
from db.errors import in_words
from ui.screen_fit import fit_to_screen
from ui.tasks import Runner
from ui.visit_times_dialog import VisitTimesDialog
from ui.window_runner import WindowRunner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.changes import Changes
    from db.field.notes import NoteBook, NoteDraft, NoteView

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

    Given a draft rather than a note's id, it shows the template and writes nothing until
    the rep types (or checks in or out): then the note is written, with what was typed, and
    `created` says its id. Closed untouched, a draft leaves nothing behind.

    Closed, it frees itself once what was typed is in the store (while a save fails, it
    stays, hidden, with the text)."""

    saved = Signal(int)  # characters of Markdown now in the store
    loaded = Signal()
    merged = Signal()
    created = Signal(object)  # the note's id, once a draft's note is written

    def __init__(
        self,
        runner: Runner,
        book: NoteBook,
        note: uuid.UUID | NoteDraft,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # Typed but not yet in the store (a deleted note has nowhere to save it to).
        self._runner = WindowRunner(runner, self, unsaved=lambda: self._dirty and not self._gone)
        self.released = self._runner.released
        self._book = book
        self.note_id: uuid.UUID | None = note if isinstance(note, uuid.UUID) else None
        self.draft: NoteDraft | None = None if isinstance(note, uuid.UUID) else note
        self.view: NoteView | None = None
        self.times_dialog: VisitTimesDialog | None = None
        self._dirty = False
        self._saving = False
        self._loading = True
        self._gone = False  # the note was deleted: nowhere to save to
        self._placed = False  # the cursor was put where the rep goes on
        self._after_create: list[Callable[[], None]] = []  # waiting for the note's id
        self.setWindowTitle("Visit note")
        fit_to_screen(self, QSize(900, 760))

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
        # A link beside the times it corrects: after check-out both buttons are spent.
        self.correct_times_button = QToolButton()
        self.correct_times_button.setText("Correct…")
        self.correct_times_button.setToolTip("Correct the check-in and check-out times")
        self.correct_times_button.setAutoRaise(True)
        self.correct_times_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.correct_times_button.setStyleSheet(
            "QToolButton { color: palette(link); text-decoration: underline; border: none; }"
        )
        self.correct_times_button.clicked.connect(self.correct_times)
        self.correct_times_button.hide()
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self._title)
        titles.addWidget(self._subtitle)
        header.addLayout(titles, stretch=1)
        header.addWidget(self._times)
        header.addWidget(self.correct_times_button)
        header.addSpacing(8)
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
        if self.draft is not None:
            self._show_draft(self.draft)
        else:
            self.reload()

    # -- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Reads the note again (a draft has nothing to read until its note is written)."""
        book, note_id = self._book, self.note_id
        if note_id is not None:
            self._runner.read(lambda: book.note(note_id), self._on_loaded)

    def _show_draft(self, draft: NoteDraft) -> None:
        when = draft.meeting_label or f"New note, {day(datetime.now())}"
        self._show_heading(draft.account_name, when, draft.author)
        self._status.setText("New note: kept once you type")
        self._show_text(draft.body)

    def _on_loaded(self, view: NoteView | None) -> None:
        self.view = view
        if view is None:
            self._gone = True
            self._title.setText("This note was deleted")
            self.editor.setReadOnly(True)
            return
        when = view.meeting_label or f"Written {day(view.created_at)}"
        self._show_heading(view.account_name, when, view.author)
        self._show_times(view)
        self._show_text(view.body)
        self._show_merge(view)
        self.loaded.emit()

    def _show_heading(self, account_name: str, when: str, author: str | None) -> None:
        self.setWindowTitle(f"Visit note · {account_name}")
        self._title.setText(account_name)
        self._subtitle.setText(when + (f" · by {author}" if author else ""))

    def _show_text(self, body: str) -> None:
        # Never throw away what the rep typed since, nor move their cursor when the store
        # holds what the editor shows (the note just written, a save come back).
        if not self._dirty and not self._saving and body != self.markdown():
            self._loading = True
            self.editor.setMarkdown(body)
        self._loading = False
        self.editor.setReadOnly(False)
        if not self._placed:
            self._placed = True
            self.editor.moveCursor(QTextCursor.MoveOperation.End)  # where the rep goes on
            self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_times(self, view: NoteView) -> None:
        parts = []
        if view.check_in_at:
            parts.append(f"in {clock(view.check_in_at)}")
        if view.check_out_at:
            parts.append(f"out {clock(view.check_out_at)}")
        self._times.setText(" · ".join(parts))
        self._times.setToolTip(_times_in_full(view))
        self.check_in_button.setEnabled(view.check_in_at is None)
        self.check_out_button.setEnabled(view.check_out_at is None)
        self.correct_times_button.setVisible(bool(parts))

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
        """Writes what is typed now (off the GUI thread); later typing gets its own save. A
        draft's first save writes its note."""
        self._save_timer.stop()
        if not self._dirty or self._gone:
            return
        if self._saving:
            self._save_timer.start()  # one write at a time, in typing order
            return
        body = self.markdown()
        self._dirty = False
        if self.note_id is None:
            self._create(body, typed=True)
            return
        self._saving = True
        self._status.setText("Saving…")
        book, note_id = self._book, self.note_id
        self._runner.write(
            lambda: book.save(note_id, body),
            lambda _changes: self._on_saved(len(body)),
            self._on_save_failed,
        )

    def _create(
        self,
        body: str,
        *,
        typed: bool,
        check_in_at: datetime | None = None,
        check_out_at: datetime | None = None,
    ) -> None:
        """Writes the draft's note: what was typed (`typed`), or the template and a time."""
        draft = self.draft
        assert draft is not None and self.note_id is None
        self._saving = True
        self._status.setText("Saving…")
        book, made = self._book, []

        def create() -> Changes:
            note_id, changes = book.create(
                draft, body, check_in_at=check_in_at, check_out_at=check_out_at
            )
            made.append(note_id)
            return changes

        def failed(exc: Exception) -> None:
            self._after_create.clear()
            if typed:
                self._on_save_failed(exc)
                return
            self._saving = False  # nothing typed: nothing to keep the window for
            self._status.setText("Not saved")
            QMessageBox.warning(
                self, "Visit note", f"The note could not be written: {in_words(exc)}"
            )

        self._runner.write(create, lambda _changes: self._on_created(made[0], len(body)), failed)

    def _on_created(self, note_id: uuid.UUID, length: int) -> None:
        self.note_id = note_id
        self.created.emit(note_id)
        self.reload()  # its times, its date; the text stays as it is being typed
        waiting, self._after_create = self._after_create, []
        for then in waiting:
            then()
        self._on_saved(length)

    def _on_saved(self, length: int) -> None:
        self._saving = False
        self._status.setText(f"Saved {clock(datetime.now().astimezone())}")
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
        message = f"The note could not be saved: {in_words(exc)}"
        if not self.isVisible():
            message += "\n\nOpen the note again to keep what you typed."
        QMessageBox.warning(self, "Visit note", message)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_now()
        super().closeEvent(event)

    # -- actions -----------------------------------------------------------------------------

    def check_in(self) -> None:
        self._stamp(check_in=True, at=datetime.now(UTC))

    def check_out(self) -> None:
        self._stamp(check_in=False, at=datetime.now(UTC))

    def _stamp(self, *, check_in: bool, at: datetime) -> None:
        """Stamps the visit's start or end; a draft's note is written first (with the time,
        in the same write, when nothing was typed)."""
        self.save_now()
        note_id = self.note_id
        if note_id is None:
            if self._saving:  # the note is on its way to the store: stamped once it is there
                self._after_create.append(lambda: self._stamp(check_in=check_in, at=at))
            elif check_in:
                self._create(self.markdown(), typed=False, check_in_at=at)
            else:
                self._create(self.markdown(), typed=False, check_out_at=at)
            return
        book = self._book
        if check_in:
            self._runner.write(lambda: book.check_in(note_id, at), lambda _c: self.reload())
        else:
            self._runner.write(lambda: book.check_out(note_id, at), lambda _c: self.reload())

    def correct_times(self) -> None:
        """Opens the editor of the visit's check-in and check-out times."""
        view = self.view
        if view is None or self.note_id is None:
            return
        if self.times_dialog is not None:
            self.times_dialog.raise_()
            self.times_dialog.activateWindow()
            return
        dialog = VisitTimesDialog(
            self._runner, self._book, view.id, view.check_in_at, view.check_out_at, self
        )
        dialog.saved.connect(self.reload)
        self.times_dialog = dialog

        def forget() -> None:
            if self.times_dialog is dialog:
                self.times_dialog = None

        dialog.released.connect(forget)
        dialog.open()  # over this note only; the rest of the app goes on

    def take_other(self) -> None:
        if self.view is not None and self.view.other_body is not None:
            self.editor.setMarkdown(self.view.other_body)

    def finish_merge(self) -> None:
        view = self.view
        if view is None or view.conflict_id is None:
            return
        self._save_timer.stop()
        body, conflict_id, book = self.markdown(), view.conflict_id, self._book
        self._dirty = False

        def done(_changes: Changes) -> None:
            self.merged.emit()
            self.reload()

        self._runner.write(
            lambda: book.finish_merge(view.id, body, conflict_id),
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


def _times_in_full(view: NoteView) -> str:
    lines = []
    if view.check_in_at:
        lines.append(f"Checked in {day_and_time(view.check_in_at)}")
    if view.check_out_at:
        lines.append(f"Checked out {day_and_time(view.check_out_at)}")
    return "\n".join(lines)
