"""The baseline: a bare PySide6 window with an empty table, shown, grabbed and saved."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableWidget


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setCentralWidget(QTableWidget(20, 6))
    window.resize(1440, 860)
    window.show()

    def grab() -> None:
        window.grab().save(sys.argv[1])
        window.close()

    QTimer.singleShot(0, grab)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
