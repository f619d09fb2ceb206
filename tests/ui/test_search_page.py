"""The Search screen: results say why they matched, counts read right, and whatever a rep
types gives results or "nothing matches", never an error."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from db.errors import in_words
from db.search import SearchIndex, SearchResult
from db.store.local_store import Store
from desktop.runner import TaskRunner
from sync.enums import Channel
from tests.helpers.factories import add_activity
from ui.models.table import ROW_ROLE
from ui.search_page import HINT, REASON_COLUMN, SearchPage, pieces, summary


@pytest.fixture
def page(qtbot: QtBot, territory: Store, runner: TaskRunner) -> SearchPage:
    shown = SearchPage(runner, SearchIndex(territory))
    qtbot.addWidget(shown)
    shown.resize(900, 400)
    shown.show()
    return shown


def type_into(qtbot: QtBot, page: SearchPage, typed: str) -> None:
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        page.search_box.setText(typed)


def reasons(page: SearchPage) -> list[tuple[str, str]]:
    model = page.model
    return [
        (model.index(row, 0).data(), model.index(row, REASON_COLUMN).data())
        for row in range(model.rowCount())
    ]


def test_each_result_says_why_it_matched(qtbot: QtBot, page: SearchPage) -> None:
    type_into(qtbot, page, "acme")
    assert reasons(page) == [
        ("Acme Logistics", "name"),
        ("Acme Logistics", "contact: Zoë Núñez · email: zoe@acme.example"),
    ]
    assert page.summary_text == "2 matches for “acme”"
    type_into(qtbot, page, "cold chain")
    [(account, reason)] = reasons(page)
    assert account == "Acme Logistics"
    assert reason.startswith("note of ") and "Wants a cold-chain pilot" in reason
    assert page.summary_text == "1 match for “cold chain”"


def test_an_invoice_number_typed_whole_finds_its_activity(
    qtbot: QtBot, page: SearchPage, territory: Store
) -> None:
    [acme] = [r.account_id for r in SearchIndex(territory).search("acme logistics")]
    add_activity(
        territory,
        acme,
        "Invoice INV-2026-00042 overdue (€1,200)",
        channel=Channel.BILLING,
        type="invoice_overdue",
        details={"invoice": "INV-2026-00042", "amount": 1200, "currency": "EUR"},
    )
    type_into(qtbot, page, "INV-2026-00042")
    [(account, reason)] = reasons(page)
    assert account == "Acme Logistics"
    assert reason.startswith("Invoice INV-2026-00042 overdue (€1,200), ")
    assert page.summary_text == "1 match for “INV-2026-00042”"


@pytest.mark.parametrize(
    "typed", ['"', '"acme', "NEAR(", "AND", "OR", "NOT", "*", "-", ":", "(", ")", "^", "{title}:"]
)
def test_operators_typed_give_results_or_nothing_never_an_error(
    qtbot: QtBot, page: SearchPage, runner: TaskRunner, typed: str
) -> None:
    with qtbot.assertNotEmitted(runner.failed):
        type_into(qtbot, page, typed)
    text = page.summary_text
    assert text.startswith("Nothing matches") or " match" in text, text
    assert "rror" not in text


class BrokenIndex(SearchIndex):
    def search(self, user_text: str, limit: int = 100) -> list[SearchResult]:
        raise RuntimeError("no such table: search_ref")


def test_a_failed_search_says_so_in_plain_words(
    qtbot: QtBot,
    territory: Store,
    runner: TaskRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = SearchPage(runner, BrokenIndex(territory))
    qtbot.addWidget(page)
    with caplog.at_level(logging.CRITICAL), qtbot.assertNotEmitted(runner.failed):
        type_into(qtbot, page, "acme")
    assert page.summary_text == in_words(RuntimeError(), "searching")
    assert "search_ref" not in page.summary_text and page.model.rowCount() == 0


def test_the_matched_words_are_drawn_bold(qtbot: QtBot, page: SearchPage) -> None:
    type_into(qtbot, page, "nunez")
    index = page.model.index(0, REASON_COLUMN)
    result = index.data(ROW_ROLE)
    assert [result.reason[s:e] for s, e in result.marks] == ["Núñez"]
    assert not page.table.grab().isNull()  # the delegate paints without failing
    assert pieces(result.reason, result.marks) == [("contact: Zoë ", False), ("Núñez", True)]


def test_enter_opens_the_first_results_account(qtbot: QtBot, page: SearchPage) -> None:
    type_into(qtbot, page, "hamburg")
    qtbot.keyClick(page.search_box, Qt.Key.Key_Return)
    with qtbot.waitSignal(page.account_requested) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args[0] == page.model.row_at(0).account_id


def test_the_result_model_passes_qt_model_tester(
    qtbot: QtBot,
    page: SearchPage,
    qtmodeltester,  # type: ignore[no-untyped-def]
) -> None:
    type_into(qtbot, page, "acme")
    qtmodeltester.check(page.model, force_py=True)


def test_counts_read_right() -> None:
    assert summary(1, " acme ") == "1 match for “acme”"
    assert summary(2, "acme") == "2 matches for “acme”"
    assert summary(100, "a") == "The 100 best matches for “a”; type more to narrow them."
    assert summary(0, "burg").startswith("Nothing matches “burg”.")
    assert summary(0, "  ") == HINT


def test_pieces_cut_text_at_the_marks() -> None:
    assert pieces("city: Hamburg", [(6, 13)]) == [("city: ", False), ("Hamburg", True)]
    assert pieces("ab", []) == [("ab", False)]
    assert pieces("abcdef", [(0, 2), (1, 4), (10, 12)]) == [
        ("ab", True),
        ("cd", True),
        ("ef", False),
    ]
