"""A rep typing a visit note in the real note window, in a process of its own, for the
crash test: `python -m tests.helpers.note_typist DATA_DIR`.

Prints "ready", then "typed N" after each keystroke and "saved N" each time the window says
N characters of Markdown are in the store; it types TEXT and then waits to be killed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TEXT = (
    "Met Zoe and Rob at the Hamburg plant. They want a cold chain pilot before March and "
    "asked for the SLA draft by Friday. IT worries about single sign on; Rob will send the "
    "list of systems. Budget for next year is approved but not yet split by site. "
) * 3
KEY_EVERY_MS = 15


def main(data_dir: Path) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from db.field.notes import NoteBook
    from db.store.local_store import Store
    from desktop.runner import TaskRunner
    from tests.helpers.factories import add_account
    from ui.note_dialog import NoteDialog

    app = QApplication([])
    store = Store.open(data_dir)
    book = NoteBook(store)
    note_id, _ = book.start(add_account(store, "Acme Logistics"))
    book.save(note_id, "")
    (data_dir / "note_id").write_text(str(note_id))
    runner = TaskRunner()
    dialog = NoteDialog(runner, book, note_id)
    dialog.saved.connect(lambda length: say(f"saved {length}"))
    typed = iter(TEXT)
    count = 0

    def key() -> None:
        nonlocal count
        char = next(typed, None)
        if char is None:
            timer.stop()
            say("done")
            return
        QTest.keyClicks(dialog.editor, char)
        count += 1
        say(f"typed {count}")

    timer = QTimer()
    timer.setInterval(KEY_EVERY_MS)
    timer.timeout.connect(key)

    def start() -> None:
        dialog.editor.moveCursor(dialog.editor.textCursor().MoveOperation.End)
        say("ready")
        timer.start()

    dialog.loaded.connect(start)
    dialog.show()
    return app.exec()


def say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
