"""The customer-profile editor: sections on the left, the questions of one on the right.

Answers are saved as the rep types (after a short pause, or when a field is left), each
to the local store and its outbox; the meter shows answered questions of all and per
section, and the tier the profile is in. Sensitive questions are hidden until asked for,
and need the person's consent. Name, job title and company show what the contact record
says, read-only and always current: they are not the rep's answers, so nothing is saved.
The dialog opens with the first section's questions; the others are built when shown, or
one by one once it has painted (the answers read are data; fields only show them).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from db.changes import Changes
from db.dates import QT_DATE_FORMAT, day, day_and_time
from db.dto import ContactProfile, ProfileHistoryRow
from db.errors import in_words
from db.profiles.definition import (
    FROM_CONTACT,
    ProfileDefinition,
    ProfileQuestion,
    ProfileSection,
    contact_values,
    from_contact,
)
from db.profiles.report import format_answer, profile_html
from ui.account_pane import make_table
from ui.icons import icon_path
from ui.models.table import Column, RowTableModel
from ui.printing import ask_and_print, export_in_background, paper_buttons
from ui.profile_fields import FieldEditor, make_editor
from ui.screen_fit import fit_to_screen
from ui.tasks import Runner
from ui.window_runner import WindowRunner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.profiles.book import ProfileBook

log = logging.getLogger(__name__)

# After the dialog has painted with its answers, the other sections wait this long before
# they are built (one per turn of the event loop), for the open's last passes to finish.
BUILD_REST_AFTER_MS = 100


class SectionEditors(Mapping[str, FieldEditor]):
    """Every question's editor, by question id. The editors of a section are built with
    it: asking for one whose section is not built yet builds that section (`built` holds
    those built so far, and asks for nothing)."""

    def __init__(self, section_of: dict[str, int], build: Callable[[int], None]) -> None:
        self.built: dict[str, FieldEditor] = {}
        self._section_of = section_of
        self._build = build

    def __getitem__(self, question_id: str) -> FieldEditor:
        editor = self.built.get(question_id)
        if editor is None:
            self._build(self._section_of[question_id])  # KeyError: no such question
            editor = self.built[question_id]
        return editor

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._section_of  # without building anything

    def __iter__(self) -> Iterator[str]:
        return iter(self._section_of)

    def __len__(self) -> int:
        return len(self._section_of)


def _tab_stops_in(root: QWidget) -> list[QWidget]:
    """The widgets Tab stops at in `root` (itself included), in the order they were made;
    a date field's line edit goes with its date field. Read right after `root` was put in
    its window, while its widgets still follow it in the tab order."""
    stops: list[QWidget] = []
    widget: QWidget | None = root
    while widget is not None and (widget is root or root.isAncestorOf(widget)):
        takes_tab = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        if takes_tab and not any(stop is not root and stop.isAncestorOf(widget) for stop in stops):
            stops.append(widget)
        widget = widget.nextInFocusChain()
    return stops


class ProfileDialog(QDialog):
    """Edits one contact's profile; non-modal, so the rep can look things up meanwhile.

    Closed, it is freed once the answers it was saving are in the store; one refused
    meanwhile brings the window back, at its question."""

    saved = Signal(str)  # question id, once its answer is in the store
    loaded = Signal()
    exported = Signal(str)  # the PDF's path

    def __init__(
        self,
        runner: Runner,
        book: ProfileBook,
        contact_id: uuid.UUID,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = WindowRunner(runner, self)
        self.released = self._runner.released
        self._book = book
        self.definition: ProfileDefinition = book.definition
        self.contact_id = contact_id
        self.profile: ContactProfile | None = None
        # Read first: the store's thread reads while this one builds the window, and the
        # answers are in by its first paint (they are shown once the constructor is done).
        self.reload()
        self.setWindowTitle("Customer profile")
        fit_to_screen(self, QSize(980, 720))

        self._name = QLabel("Loading…")
        self._name.setObjectName("accountName")
        self._subtitle = QLabel()
        self._subtitle.setObjectName("subtitle")
        rule = book.tier_rule
        self.meter = QProgressBar()
        self.meter.setRange(0, rule.total)
        self.meter.setFormat("%v of %m answered")
        self.meter.setFixedWidth(240)
        self.meter.setToolTip(rule.explanation())
        self.tier = QLabel()
        self.tier.setObjectName("subtitle")
        self.tier.setToolTip(rule.explanation())
        self.tier.setAlignment(Qt.AlignmentFlag.AlignRight)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self._name)
        titles.addWidget(self._subtitle)
        measure = QVBoxLayout()
        measure.setSpacing(4)
        measure.addWidget(self.meter)
        measure.addWidget(self.tier)
        header.addLayout(titles, stretch=1)
        header.addLayout(measure)

        self.sections = QListWidget()
        self.sections.setObjectName("profileSections")
        self.sections.setFixedWidth(230)
        self.pages = QStackedWidget()
        section_of = {
            question.id: row
            for row, section in enumerate(self.definition.sections)
            for question in section.questions
        }
        self.editors = SectionEditors(section_of, self._build_section)
        self._errors: dict[str, QLabel] = {}
        # Questions the contact record answers: a note beside each says where it came from.
        self.record_notes: dict[str, QLabel] = {}
        self._from_record = {q.id for q in from_contact(self.definition)}
        self._key_ids = {q.id for q in self.definition.questions if q.briefing}
        self._sensitive_rows: list[tuple[QFormLayout, QWidget]] = []
        # One empty page per section: its questions are built when it is first shown or
        # asked for, or once the dialog has painted, one section per event-loop turn
        # (all 66 at once took 300 ms before the window showed).
        self._holders: list[QWidget] = []
        self._tab_stops: dict[int, list[QWidget]] = {}  # of each section built, by row
        for section in self.definition.sections:
            QListWidgetItem(section.title, self.sections)
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self._holders.append(holder)
            self.pages.addWidget(holder)
        self._build_rest = QTimer(self)
        self._build_rest.setSingleShot(True)
        self._build_rest.timeout.connect(self._on_build_rest_timeout)
        self.sections.currentRowChanged.connect(self._show_section)
        body = QHBoxLayout()
        body.addWidget(self.sections)
        body.addWidget(self.pages, stretch=1)

        self.show_sensitive = QCheckBox("Show sensitive answers")
        self.show_sensitive.setToolTip(
            "Health, religion, politics, confidential notes (Ctrl+Shift+S)"
        )
        self.show_sensitive.toggled.connect(self._apply_sensitive)
        self._consent = QLabel()
        self._consent.setObjectName("subtitle")
        self.consent_button = QPushButton("Record consent…")
        self.consent_button.clicked.connect(self.ask_consent)
        history = QPushButton("History…")
        history.setToolTip("Who changed which answer when (Ctrl+H)")
        history.clicked.connect(self.show_history)
        export, print_button = paper_buttons(self.ask_export, self.ask_print)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        footer = QHBoxLayout()
        footer.addWidget(self.show_sensitive)
        footer.addWidget(self._consent)
        footer.addWidget(self.consent_button)
        footer.addStretch(1)
        footer.addWidget(history)
        footer.addWidget(export)
        footer.addWidget(print_button)
        footer.addWidget(close)
        # No button is the dialog's default: Enter in an answer presses none of them. Qt
        # makes the first button in the tab order the default; when every section was
        # built at open, that was "Add person", and Enter in "Partner's name" added a child.
        for push in (self.consent_button, history, export, print_button, close):
            push.setAutoDefault(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(header)
        layout.addLayout(body, stretch=1)
        layout.addLayout(footer)

        for keys, action in (
            ("Ctrl+PgDown", lambda: self._step(1)),
            ("Ctrl+PgUp", lambda: self._step(-1)),
            ("Ctrl+Shift+S", self.show_sensitive.toggle),
            ("Ctrl+H", self.show_history),
            ("Ctrl+E", self.ask_export),
            ("Ctrl+P", self.ask_print),
        ):
            QShortcut(QKeySequence(keys), self, action)
        self._build_section(0)
        self.sections.setCurrentRow(0)
        self._runner.data_changed.connect(self._on_runner_data_changed)

    # -- building --------------------------------------------------------------------------

    def _build_section(self, row: int) -> None:
        """Builds the questions of section `row` into its page, once, showing the answers
        read so far (a section built after the read shows them as the store had them)."""
        if row in self._tab_stops:
            return
        section = self.definition.sections[row]
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        layout = self._holders[row].layout()
        assert layout is not None
        layout.addWidget(scroll)
        scroll.setWidget(self._section_page(section))
        self._tab_stops[row] = _tab_stops_in(scroll)
        self._order_tabs()
        profile = self.profile
        if profile is not None:
            ids = {question.id for question in section.questions}
            for question_id in ids:
                self.editors.built[question_id].set_value(profile.answers.get(question_id))
            if ids & self._from_record:
                self._show_record(profile, ids)
        self._apply_sensitive()

    def _order_tabs(self) -> None:
        """Tab goes from the section list through the fields of the section shown, then to
        the buttons below, as when every section was built at once: Qt puts a widget added
        to a window already made at the end of the tab order, behind those buttons."""
        before: QWidget = self.sections
        for row in sorted(self._tab_stops):
            for stop in self._tab_stops[row]:
                QWidget.setTabOrder(before, stop)
                before = stop

    @property
    def sections_built(self) -> int:
        """How many sections have their questions built (the first at open, then the rest)."""
        return len(self._tab_stops)

    def _on_build_rest_timeout(self) -> None:
        """Builds the next section not built yet, then waits a turn of the event loop, so
        typing and painting go on between sections; stops while the dialog is hidden."""
        if not self.isVisible():
            return  # the next paint starts again
        unbuilt = [row for row in range(len(self._holders)) if row not in self._tab_stops]
        if unbuilt:
            self._build_section(unbuilt[0])
        if len(unbuilt) > 1:
            self._build_rest.start(0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        # The other sections are built once the rep sees this one with its answers, and
        # the passes of layout and paint that follow (the section list's counts) are done:
        # started at once, the first section built held them back.
        waiting = self.sections_built < len(self._holders)
        if waiting and self.profile is not None and not self._build_rest.isActive():
            self._build_rest.start(BUILD_REST_AFTER_MS)

    def _section_page(self, section: ProfileSection) -> QWidget:
        page = QWidget()
        column_of_page = QVBoxLayout(page)
        form = QFormLayout()
        column_of_page.addLayout(form)
        column_of_page.addStretch(1)  # spare height below the questions, not between them
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setVerticalSpacing(10)
        form.setContentsMargins(12, 8, 12, 8)
        intro = QLabel(section.help)
        intro.setObjectName("subtitle")
        intro.setWordWrap(True)
        form.addRow(intro)
        for question in section.questions:
            editor = make_editor(question)
            editor.edited.connect(self._save)
            self.editors.built[question.id] = editor
            error = QLabel()
            error.setStyleSheet("color: #b3261e;")
            error.setWordWrap(True)
            error.hide()
            self._errors[question.id] = error
            field = QWidget()
            field.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
            column = QVBoxLayout(field)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            if question.id in self._from_record:
                column.addLayout(self._with_record_note(question, editor))
            else:
                column.addWidget(editor.widget)
            column.addWidget(error)
            label = QLabel(self._label_text(question))
            label.setTextFormat(Qt.TextFormat.RichText)  # escaped, with the lock's picture
            label.setWordWrap(True)
            label.setToolTip(self._label_tip(question))
            label.setMinimumWidth(180)
            label.setMaximumWidth(260)
            label.setBuddy(editor.widget)
            form.addRow(label, field)
            if question.sensitive:
                self._sensitive_rows.append((form, field))
        return page

    def _label_text(self, question: ProfileQuestion) -> str:
        # Non-breaking spaces: a mark never wraps onto a line of its own.
        # The lock is a picture: no font we install draws the emoji.
        marks = ("\u00a0★" if question.id in self._key_ids else "") + (
            f"\u00a0<img src='{icon_path('lock')}' width=12 height=12>"
            if question.sensitive
            else ""
        )
        return escape(question.label) + marks

    def _label_tip(self, question: ProfileQuestion) -> str:
        if question.id not in self._key_ids:
            return question.help
        return f"{question.help}\n\n★ Key question: worth knowing before a visit."

    def _with_record_note(self, question: ProfileQuestion, editor: FieldEditor) -> QHBoxLayout:
        """The field of a question the contact record answers, with a note beside it."""
        note = QLabel()
        note.setObjectName("subtitle")
        note.setMaximumWidth(220)
        self.record_notes[question.id] = note
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(editor.widget, stretch=1)
        row.addWidget(note)
        return row

    # -- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        book, contact_id = self._book, self.contact_id
        self._runner.read(lambda: book.profile(contact_id), self._on_loaded)

    def _on_loaded(self, profile: ContactProfile | None) -> None:
        if profile is None:
            self._name.setText("This contact is no longer in your territory.")
            self.pages.setEnabled(False)
            return
        first = self.profile is None
        self.profile = profile
        self._name.setText(profile.name)
        self.setWindowTitle(f"Customer profile · {profile.name}")
        self._subtitle.setText(" · ".join(p for p in (profile.title, profile.account_name) if p))
        built = self.editors.built
        if first:
            for question_id, editor in built.items():
                editor.set_value(profile.answers.get(question_id))
        self._show_record(profile, set(built) if first else set())
        self._show_counts(profile)
        self._apply_sensitive()
        self.loaded.emit()

    def _show_record(self, profile: ContactProfile, just_set: set[str]) -> None:
        """Name, job title and company as the contact record has them now. Written as
        answers they would go stale the day the contact is renamed; so they are shown,
        not saved. An answer the rep gave to one of them before stays theirs to edit,
        with the record's value beside it. `just_set`: the editors that show the profile's
        answers just read (the others may hold the rep's typing)."""
        record = contact_values(
            self.definition,
            name=profile.name,
            title=profile.title,
            account_name=profile.account_name,
        )
        for question_id, value in record.items():
            editor = self.editors.built.get(question_id)
            if editor is None:
                continue  # its section is not built yet: shown when it is
            note = self.record_notes[question_id]
            unanswered = question_id in just_set and question_id not in profile.answers
            if editor.from_contact or unanswered:
                editor.show_from_contact(value)
                note.setWordWrap(False)
                note.setText("from the contact")
                note.setToolTip(
                    f"Shown from {FROM_CONTACT[question_id]}, so it follows the contact "
                    "record; change it there. Not counted as an answer."
                )
            else:
                note.setWordWrap(True)
                note.setText(f"Contact record: {value}" if value else "Not on the contact record")
                note.setToolTip(f"What {FROM_CONTACT[question_id]} says now.")

    def _show_counts(self, profile: ContactProfile) -> None:
        done = profile.completeness
        self.meter.setValue(done.answered)
        self.tier.setText(
            f"{done.tier.label} · {done.key_answered} of {done.key_total} key questions ★"
        )
        for row, section in enumerate(done.sections):
            item = self.sections.item(row)
            item.setText(f"{section.title}\n{section.answered} of {section.total}")
        if profile.consent is not None:
            self._consent.setText(f"Consent recorded {day(profile.consent.given_on)}")
        else:
            self._consent.setText("No consent recorded for sensitive answers")
        self.consent_button.setText(
            "Withdraw consent…" if profile.consent is not None else "Record consent…"
        )

    def _apply_sensitive(self) -> None:
        profile = self.profile
        allowed = profile is not None and profile.sensitive_allowed
        self.show_sensitive.setEnabled(allowed)
        self.consent_button.setVisible(allowed)
        shown = allowed and self.show_sensitive.isChecked()
        editable = shown and profile is not None and profile.consent is not None
        for form, field in self._sensitive_rows:
            form.setRowVisible(field, shown)
            field.setEnabled(editable)
        if not allowed and profile is not None:
            self._consent.setText("Your company keeps sensitive answers off laptops")

    @Slot(object)
    def _on_runner_data_changed(self, changes: Changes) -> None:
        profile = self.profile
        if profile is None:
            return
        # A contact renamed, retitled or moved, or its account renamed, on this device.
        if (changes.touches("contact") and self.contact_id in changes.ids) or (
            changes.touches("account") and profile.account_id in changes.ids
        ):
            self.reload()

    # -- saving ----------------------------------------------------------------------------

    def _save(self, question_id: str) -> None:
        value = self.editors[question_id].value()
        book, contact_id = self._book, self.contact_id
        self._runner.write(
            lambda: book.set_answer(contact_id, question_id, value),
            lambda _changes: self._on_saved(question_id),
            lambda exc: self._on_refused(question_id, exc),
        )

    def _on_saved(self, question_id: str) -> None:
        self._errors[question_id].hide()
        self.saved.emit(question_id)
        self.reload()  # the store normalised the answer: its counts are the true ones

    def _on_refused(self, question_id: str, exc: Exception) -> None:
        log.error("saving a profile answer failed", exc_info=exc)
        error = self._errors[question_id]
        error.setText(in_words(exc, "saving the answer"))
        error.show()
        if not self.isVisible():  # closed before the refusal came: show what was refused
            self._show_question(question_id)
            self.show()
            self.raise_()

    def _show_question(self, question_id: str) -> None:
        for row, section in enumerate(self.definition.sections):
            if any(question.id == question_id for question in section.questions):
                self.sections.setCurrentRow(row)
                return

    def flush(self) -> None:
        """Saves every answer still waiting for the typing pause."""
        for editor in self.editors.built.values():  # an editor not built has nothing typed
            editor.flush()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.flush()  # the answers' writes keep the closed window until they come back
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.flush()  # Esc closes with no close event: it would drop what waits to be saved
        super().done(result)

    # -- navigation ------------------------------------------------------------------------

    def _show_section(self, row: int) -> None:
        self.flush()
        self._build_section(row)
        self.pages.setCurrentIndex(row)

    def _step(self, by: int) -> None:
        row = (self.sections.currentRow() + by) % self.sections.count()
        self.sections.setCurrentRow(row)
        first = self.definition.sections[row].questions[0].id
        self.editors[first].widget.setFocus()

    # -- consent, history, export --------------------------------------------------------

    def ask_consent(self) -> None:
        profile = self.profile
        if profile is None:
            return
        if profile.consent is not None:
            answer = QMessageBox.question(
                self,
                "Withdraw consent",
                f"Withdraw {profile.name}'s consent? Their sensitive answers are erased here "
                "and, at the next sync, everywhere.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self._write(lambda: self._book.withdraw_consent(self.contact_id), reset=True)
            return
        dialog = ConsentDialog(profile.name, self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        given_on, how = dialog.result_values()
        dialog.deleteLater()
        if accepted:
            self._write(lambda: self._book.record_consent(self.contact_id, given_on, how))

    def _write(self, fn: Callable[[], object], reset: bool = False) -> None:
        def done(_changes: object) -> None:
            if reset:
                self.profile = None  # reload the editors too
            self.reload()

        self._runner.write(fn, done, self._on_write_failed)

    def _on_write_failed(self, exc: Exception) -> None:
        log.error("changing a profile's consent failed", exc_info=exc)
        QMessageBox.warning(self, "Profile", in_words(exc, "changing the consent"))

    def show_history(self) -> None:
        def show(rows: list[ProfileHistoryRow]) -> None:
            history = HistoryDialog(rows, self.definition, self)
            history.exec()
            history.deleteLater()

        book, contact_id = self._book, self.contact_id
        self._runner.read(lambda: book.history(contact_id), show)

    def ask_export(self) -> None:
        profile = self.profile
        if profile is None:
            return
        default = Path.home() / f"Profile {profile.name}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Export profile", str(default), "PDF (*.pdf)")
        if path:
            self.export_pdf(Path(path), self._ask_sensitive("Export profile"))

    def ask_print(self) -> None:
        profile = self.profile
        if profile is None:
            return
        html = profile_html(profile, self.definition, self._ask_sensitive("Print profile"))
        ask_and_print(html, f"Profile {profile.name}", self)

    def _ask_sensitive(self, title: str) -> bool:
        """Whether to include sensitive answers; asked only when there are some (No first)."""
        profile = self.profile
        assert profile is not None
        sensitive = any(q.sensitive and q.id in profile.answers for q in self.definition.questions)
        return sensitive and (
            QMessageBox.question(
                self,
                title,
                "Include the sensitive answers (health, religion, politics, confidential)?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            == QMessageBox.StandardButton.Yes
        )

    def export_pdf(self, path: Path, include_sensitive: bool = False) -> None:
        """Writes the profile as a PDF off the GUI thread."""
        assert self.profile is not None
        html = profile_html(self.profile, self.definition, include_sensitive)
        export_in_background(self._runner, self, html, path, self.exported.emit)


class ConsentDialog(QDialog):
    """Asks when and how the person agreed to sensitive answers being kept."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record consent")
        explain = QLabel(
            f"Health, religion, politics and confidential notes are special-category data. "
            f"Record when and how {name} agreed to you keeping them."
        )
        explain.setWordWrap(True)
        self.given_on = QDateEdit(QDate.currentDate())
        self.given_on.setCalendarPopup(True)
        self.given_on.setMaximumDate(QDate.currentDate())
        self.given_on.setDisplayFormat(QT_DATE_FORMAT)
        self.how = QLineEdit()
        self.how.setPlaceholderText("Signed form, email, verbally at the visit…")
        self.how.setMaxLength(200)
        form = QFormLayout()
        form.addRow("Given on:", self.given_on)
        form.addRow("How:", self.how)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self._ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._ok.setEnabled(False)
        self.how.textChanged.connect(lambda text: self._ok.setEnabled(bool(text.strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(440, 180)

    def result_values(self) -> tuple[dt.date, str]:
        day = self.given_on.date()
        return dt.date(day.year(), day.month(), day.day()), self.how.text()


class HistoryDialog(QDialog):
    """Who changed which answer when, newest first."""

    def __init__(
        self, rows: list[ProfileHistoryRow], definition: ProfileDefinition, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Profile history")
        columns: list[Column[ProfileHistoryRow]] = [
            Column("When", lambda r: day_and_time(r.changed_at)),
            Column("Who", lambda r: r.changed_by or "this device"),
            Column("Question", lambda r: r.label),
            Column(
                "New answer",
                lambda r: (
                    "(cleared or not shown)"
                    if r.value is None
                    else format_answer(definition.get(r.question_id), r.value)
                ),
                tooltip=lambda r: format_answer(definition.get(r.question_id), r.value),
            ),
        ]
        self.model: RowTableModel[ProfileHistoryRow] = RowTableModel(columns, self)
        self.model.set_rows(rows)
        table = make_table(self.model, stretch_column=3)
        table.resizeColumnsToContents()
        empty = QLabel("No changes yet.") if not rows else None
        layout = QVBoxLayout(self)
        if empty is not None:
            layout.addWidget(empty)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_to_screen(self, QSize(820, 440))
