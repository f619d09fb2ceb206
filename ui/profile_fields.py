"""One editor per profile question, fit for its type; each says when the rep changed it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.dates import QT_DATE_FORMAT, day_short
from db.profiles.definition import (
    EARLIEST_DATE,
    LONG_TEXT_LIMIT,
    PERSON_KEYS,
    TEXT_LIMIT,
    ProfileQuestion,
    QuestionType,
)
from ui.wheel_guard import guard_wheel

# Typing pauses this long before an answer is saved (focus leaving saves at once).
SAVE_AFTER_MS = 700
NOT_SET = "—"
NOT_ON_RECORD = "Not on the contact record"
_NO_DATE = QDate(EARLIEST_DATE.year - 1, 12, 31)  # the date editor's "not set" value
PEOPLE_HEADERS = ("Name", "Birth date", "Age", "Interests")
BIRTH_DATE_COLUMN = 1


class FieldEditor(QObject):
    """Wraps the widget of one question: `value()` is what the rep gave (checked by the
    store), `edited` fires once the rep pauses or leaves the field."""

    edited = Signal(str)  # question id

    def __init__(self, question: ProfileQuestion, widget: QWidget) -> None:
        super().__init__(widget)
        self.question = question
        self.widget = widget
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_AFTER_MS)
        self._timer.timeout.connect(lambda: self.edited.emit(self.question.id))
        self._loading = False

    def value(self) -> object:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def changed_soon(self) -> None:
        """The rep is typing: save after a pause."""
        if not self._loading:
            self._timer.start()

    def changed_now(self) -> None:
        if not self._loading:
            self._timer.stop()
            self.edited.emit(self.question.id)

    def flush(self) -> None:
        """Saves a change still waiting for the typing pause (closing, switching section)."""
        if self._timer.isActive():
            self._timer.stop()
            self.edited.emit(self.question.id)

    @property
    def waiting(self) -> bool:
        return self._timer.isActive()

    def show_from_contact(self, value: str) -> None:
        """Shows what the contact record says, read-only: it is not the rep's answer, so it
        is never saved (only text questions are answered from the contact record)."""
        raise TypeError(f"{self.question.type} questions are not answered from the contact")

    @property
    def from_contact(self) -> bool:
        """Whether the field shows the contact record's value (show_from_contact)."""
        return False


class _Text(FieldEditor):
    def __init__(self, question: ProfileQuestion) -> None:
        self.line = QLineEdit()
        self.line.setMaxLength(TEXT_LIMIT)
        super().__init__(question, self.line)
        self.line.textEdited.connect(self.changed_soon)
        self.line.editingFinished.connect(self.flush)

    def value(self) -> object:
        return self.line.text()

    def _show(self, value: Any) -> None:
        self.line.setText(value if isinstance(value, str) else "")
        self.line.setCursorPosition(0)  # a long answer shows its beginning

    def show_from_contact(self, value: str) -> None:
        if self.line.text() != value:
            self.set_value(value)
        if not self.line.isReadOnly():  # a style sheet set again repolishes and repaints
            _read_only(self.line)
            self.line.setReadOnly(True)
            self.line.setPlaceholderText(NOT_ON_RECORD)

    @property
    def from_contact(self) -> bool:
        return self.line.isReadOnly()


class _LongText(FieldEditor):
    def __init__(self, question: ProfileQuestion, lines: int = 3) -> None:
        self.text = _PlainText(lines)
        super().__init__(question, self.text)
        self.text.textChanged.connect(self.changed_soon)
        self.text.left.connect(self.flush)

    def value(self) -> object:
        return self.text.toPlainText()[:LONG_TEXT_LIMIT]

    def _show(self, value: Any) -> None:
        self.text.setPlainText(value if isinstance(value, str) else "")

    def show_from_contact(self, value: str) -> None:
        if self.text.toPlainText() != value:
            self.set_value(value)
        if not self.text.isReadOnly():  # a style sheet set again repolishes and repaints
            _read_only(self.text)
            self.text.setReadOnly(True)
            self.text.setPlaceholderText(NOT_ON_RECORD)

    @property
    def from_contact(self) -> bool:
        return self.text.isReadOnly()


def _read_only(widget: QWidget) -> None:
    """Greys a field the rep cannot type in, so it does not look like a blank to fill."""
    widget.setStyleSheet(
        "QLineEdit, QPlainTextEdit { background: #f1f3f6; color: #3b4a5c;"
        " border: 1px solid #dde1e7; border-radius: 4px; }"
    )


class _List(_LongText):
    """One item per line."""

    def __init__(self, question: ProfileQuestion) -> None:
        super().__init__(question, lines=3)
        self.text.setPlaceholderText("One per line")

    def value(self) -> object:
        return [line for line in self.text.toPlainText().splitlines() if line.strip()]

    def _show(self, value: Any) -> None:
        items = value if isinstance(value, list) else []
        self.text.setPlainText("\n".join(str(item) for item in items))


class _PlainText(QPlainTextEdit):
    """A plain-text box a few lines high where Tab moves on (as in every other field)."""

    left = Signal()

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        height = self.fontMetrics().lineSpacing() * lines + 14
        self.setFixedHeight(height)

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.left.emit()


class _DateField(QDateEdit):
    """A date field Tab leaves while it shows no date. Qt's keeps Tab to step between day,
    month and year, and "—" has none of them: Tab went nowhere, and the fields below could
    not be reached from the keyboard."""

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt's names
        if self.date() == self.minimumDate():
            return QWidget.focusNextPrevChild(self, next)
        return super().focusNextPrevChild(next)


class _Date(FieldEditor):
    def __init__(self, question: ProfileQuestion) -> None:
        self.date = _DateField()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat(QT_DATE_FORMAT)
        self.date.setMinimumDate(_NO_DATE)
        self.date.setSpecialValueText(NOT_SET)  # shown at the minimum: no date
        self.date.setMaximumWidth(160)
        guard_wheel(self.date)  # scrolling past it never changes it
        super().__init__(question, self.date)
        self.date.dateChanged.connect(self.changed_soon)
        self.date.editingFinished.connect(self.flush)

    def value(self) -> object:
        chosen = self.date.date()
        if chosen == _NO_DATE:
            return None
        return dt.date(chosen.year(), chosen.month(), chosen.day())

    def _show(self, value: Any) -> None:
        try:
            day = dt.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        self.date.setDate(QDate(day.year, day.month, day.day) if day else _NO_DATE)


class _Choice(FieldEditor):
    def __init__(self, question: ProfileQuestion, options: tuple[str, ...]) -> None:
        self.combo = QComboBox()
        self.combo.addItems([NOT_SET, *options])
        self.combo.setMinimumWidth(200)
        guard_wheel(self.combo)  # scrolling past it never changes it
        super().__init__(question, self.combo)
        self.combo.activated.connect(self.changed_now)

    def value(self) -> object:
        return None if self.combo.currentIndex() == 0 else self.combo.currentText()

    def _show(self, value: Any) -> None:
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        index = self.combo.findText(value) if isinstance(value, str) else 0
        self.combo.setCurrentIndex(max(index, 0))


class _BirthDates(QStyledItemDelegate):
    """A person's birth date: shown like every date in the app, picked in a date field,
    kept as the answer stores it (ISO 8601, or empty)."""

    def displayText(self, value: Any, locale: Any) -> str:
        try:
            return day_short(dt.date.fromisoformat(str(value)))
        except ValueError:
            return str(value or "")

    def createEditor(self, parent: QWidget, option: Any, index: Any) -> QWidget:
        editor = QDateEdit(parent)
        editor.setCalendarPopup(True)
        editor.setDisplayFormat(QT_DATE_FORMAT)
        editor.setMinimumDate(_NO_DATE)
        editor.setSpecialValueText(NOT_SET)
        return editor

    def setEditorData(self, editor: QWidget, index: Any) -> None:
        assert isinstance(editor, QDateEdit)
        try:
            day = dt.date.fromisoformat(str(index.data() or ""))
            editor.setDate(QDate(day.year, day.month, day.day))
        except ValueError:
            editor.setDate(_NO_DATE)

    def setModelData(self, editor: QWidget, model: Any, index: Any) -> None:
        assert isinstance(editor, QDateEdit)
        chosen = editor.date()
        text = (
            ""
            if chosen == _NO_DATE
            else dt.date(chosen.year(), chosen.month(), chosen.day()).isoformat()
        )
        model.setData(index, text)


class _People(FieldEditor):
    """A small table: name, birth date, age, interests; rows added and removed by button."""

    def __init__(self, question: ProfileQuestion) -> None:
        box = QWidget()
        self.table = QTableWidget(0, len(PEOPLE_HEADERS))
        self.table.setHorizontalHeaderLabels(PEOPLE_HEADERS)
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(120)
        self.table.setMaximumHeight(170)
        self.table.setItemDelegateForColumn(BIRTH_DATE_COLUMN, _BirthDates(self.table))
        self.add_button = QPushButton("Add person")
        self.remove_button = QPushButton("Remove selected")
        for button in (self.add_button, self.remove_button):
            button.setAutoDefault(False)  # Enter in another field presses neither
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        super().__init__(question, box)
        self.table.itemChanged.connect(self.changed_soon)
        self.add_button.clicked.connect(self.add_person)
        self.remove_button.clicked.connect(self._remove_selected)

    def add_person(self) -> None:
        row = self.table.rowCount()
        self._loading = True
        self.table.insertRow(row)
        cells = [QTableWidgetItem("") for _ in PEOPLE_HEADERS]
        for column, cell in enumerate(cells):
            self.table.setItem(row, column, cell)
        self._loading = False
        self.table.setCurrentCell(row, 0)
        self.table.editItem(cells[0])

    def _remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self.changed_now()

    def value(self) -> object:
        people = []
        for row in range(self.table.rowCount()):
            cells = [self._cell(row, column) for column in range(len(PEOPLE_HEADERS))]
            if any(cells):
                people.append(dict(zip(PERSON_KEYS, cells, strict=True)))
        return people

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item else ""

    def _show(self, value: Any) -> None:
        people = value if isinstance(value, list) else []
        self.table.setRowCount(0)
        for person in people:
            row = self.table.rowCount()
            self.table.insertRow(row)
            for column, key in enumerate(PERSON_KEYS):
                shown = person.get(key, "") if isinstance(person, dict) else ""
                self.table.setItem(row, column, QTableWidgetItem(str(shown)))


def make_editor(question: ProfileQuestion) -> FieldEditor:
    """The editor for a question's type."""
    match question.type:
        case QuestionType.TEXT:
            editor: FieldEditor = _Text(question)
        case QuestionType.LONG_TEXT:
            editor = _LongText(question)
        case QuestionType.DATE:
            editor = _Date(question)
        case QuestionType.YES_NO:
            editor = _Choice(question, ("Yes", "No"))
        case QuestionType.CHOICE:
            editor = _Choice(question, question.options)
        case QuestionType.LIST:
            editor = _List(question)
        case QuestionType.PEOPLE:
            editor = _People(question)
    editor.widget.setToolTip(question.help)
    editor.widget.setAccessibleName(question.label)
    return editor
