"""The floor under the app's start: the least any window showing this store's accounts
through SQLAlchemy must do. The key found as the app finds it (keyring, or Argon2id of the
passphrase) on a thread started first; a shown window; SQLAlchemy and the store's mapped
models imported; the first 50 accounts and the first one's row read through the ORM from
the encrypted store, shown, grabbed and saved. No services, pages or sync.

`python bench/floor_window.py DATA SHOT`: what the app's start is measured against, so
the table can say how much of it is the stack's and how much the app's."""

import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from PySide6.QtCore import QTimer  # noqa: E402  # after the path is set
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QLabel,
    QMainWindow,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
)

FIRST_PAGE = 50
LOAD_TIMEOUT_MS = 60_000


def main() -> int:
    data, shot = Path(sys.argv[1]), Path(sys.argv[2])
    keys = ThreadPoolExecutor(max_workers=1)
    found = keys.submit(lambda: __import__("desktop.store_key").store_key.store_key(data))
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    split = QSplitter()
    table, detail = QTableWidget(FIRST_PAGE, 3), QLabel()
    split.addWidget(table)
    split.addWidget(detail)
    window.setCentralWidget(split)
    window.resize(1440, 860)
    window.show()

    def load() -> None:
        try:
            show_accounts()
        except Exception:  # no key, no store: fail (bench.starts says so), never hang
            traceback.print_exc()
            app.exit(1)

    def show_accounts() -> None:
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import Session

        from db.store.cipher import connect
        from db.store.models import Account
        from db.store.probe import STORE_FILENAME

        key = found.result()
        engine = create_engine("sqlite://", creator=lambda: connect(data / STORE_FILENAME, key))
        with Session(engine) as session:
            rows = session.execute(
                select(Account.id, Account.name, Account.city, Account.industry)
                .where(Account.deleted_at.is_(None))
                .order_by(Account.name)
                .limit(FIRST_PAGE)
            ).all()
            first = session.get(Account, rows[0].id) if rows else None
        for i, row in enumerate(rows):
            for j, value in enumerate(row[1:]):
                table.setItem(i, j, QTableWidgetItem(str(value or "")))
        if first is not None:
            detail.setText(f"{first.name}\n{first.city or ''}\n{first.industry or ''}")
        QTimer.singleShot(0, grab)

    def grab() -> None:
        app.exit(0 if window.grab().save(str(shot)) else 1)

    QTimer.singleShot(0, load)
    QTimer.singleShot(LOAD_TIMEOUT_MS, lambda: app.exit(1))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
