"""Start-up reads what is on screen, never a whole table: every query the window runs until
its first screens are loaded is planned with EXPLAIN QUERY PLAN, and none may SCAN the big
tables (account, contact, activity, profile_answer), not even through an index."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import event

from db.demo.territory import generate_demo
from db.store.local_store import Store
from desktop.app import build_window
from desktop.runner import TaskRunner

BIG_TABLES = ("account", "contact", "activity", "profile_answer")
_SCAN = re.compile(r"\bSCAN (\w+)")
_AGGREGATE = re.compile(r"\b(count|sum|avg|min|max|total)\(|GROUP BY", re.IGNORECASE)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("start") / "data")
    generate_demo(store, 300, 1, today=dt.date.today())
    yield store
    store.close()


def whole_table_reads(store: Store, statements: list[tuple[str, Any]]) -> dict[str, list[str]]:
    """The plan lines that scan a big table, by the statement that has them. A scan that
    stops early is no whole-table read: rows taken in an index's order (no temporary
    B-tree to sort them) under a LIMIT, with nothing counted or grouped."""
    found: dict[str, list[str]] = {}
    with store.engine.connect() as connection:
        for statement, parameters in statements:
            plan = [
                row[3]
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
            flat = " ".join(statement.split())
            stops_early = (
                " LIMIT " in flat
                and not _AGGREGATE.search(flat)
                and not any("TEMP B-TREE" in line for line in plan)
            )
            scans = [
                line
                for line in plan
                if (match := _SCAN.search(line)) and match.group(1) in BIG_TABLES
            ]
            if scans and not stops_early:
                found[flat[:300]] = scans
    return found


def test_the_first_screens_read_no_whole_table(qtbot: QtBot, demo_store: Store) -> None:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    event.listen(demo_store.engine, "before_cursor_execute", capture)
    runner = TaskRunner()
    try:
        window = build_window(demo_store, runner)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.ready, timeout=20_000):
            window.show()
        today = window.today_page
        qtbot.waitUntil(lambda: not runner.busy, timeout=20_000)
        assert today.isVisible()
        window.close()
    finally:
        assert runner.shutdown()
        event.remove(demo_store.engine, "before_cursor_execute", capture)
    assert len(statements) >= 5
    assert whole_table_reads(demo_store, statements) == {}
    # The page on screen (Today: the week's meetings) is read before the others.
    first = " ".join(statements[0][0].split())
    assert re.search(r"\bFROM meeting\b", first), first


def test_the_check_finds_a_whole_table_read(demo_store: Store) -> None:
    counted = ("SELECT count(*) FROM activity WHERE title LIKE ?", ("%x%",))
    sorted_page = ("SELECT id FROM contact ORDER BY phone LIMIT ?", (20,))
    first_rows = ("SELECT id FROM account LIMIT ?", (1,))
    found = whole_table_reads(demo_store, [counted, sorted_page, first_rows])
    assert list(found.values()) == [["SCAN activity"], ["SCAN contact"]]
