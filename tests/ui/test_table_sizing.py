"""A list's columns fit their contents from the rows in view and a few more: sizing a
list of thousands never reads every row through Python."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ui.account_pane import SIZED_ROWS, make_table
from ui.models.table import Column, RowTableModel


def test_columns_fit_from_a_sample_of_the_rows(qtbot: QtBot) -> None:
    read: list[int] = []

    def name(row: int) -> str:
        read.append(row)
        return f"Account {row}" + (", a much longer name" if row == 4_000 else "")

    model = RowTableModel([Column("Name", name), Column("Rank", str)])
    model.set_rows(list(range(5_000)))
    view = make_table(model, stretch_column=1)
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    read.clear()
    view.resizeColumnsToContents()
    assert 0 < len(set(read)) <= 2 * SIZED_ROWS
    assert 4_000 not in read
