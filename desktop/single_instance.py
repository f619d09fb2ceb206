"""One app per store: a second start on the same data folder brings the running window
forward and ends, instead of a second window (and a second writer) on the same store."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)
_RAISE = b"raise\n"


def instance_name(data_dir: Path) -> str:
    """The local socket of the app open on `data_dir` (this user's, this folder's)."""
    where = f"{os.getuid() if hasattr(os, 'getuid') else ''}|{Path(data_dir).resolve()}"
    return "fieldbrief-" + hashlib.sha256(where.encode()).hexdigest()[:20]


def bring_running_forward(name: str, timeout_ms: int = 1000) -> bool:
    """True if an app already runs under `name` and was asked to show its window."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(_RAISE)
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later starts on the same store; `raise_requested` when one comes."""

    raise_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(name)  # a socket left by an app that crashed
        if self._server.listen(name):
            log.info("listening for later starts on this store")
        else:
            log.warning("cannot listen for later starts: %s", self._server.errorString())
        self._server.newConnection.connect(self._on_server_new_connection)

    @Slot()
    def _on_server_new_connection(self) -> None:
        while (connection := self._server.nextPendingConnection()) is not None:
            connection.readyRead.connect(lambda c=connection: self._on_read(c))
            connection.disconnected.connect(connection.deleteLater)

    def _on_read(self, connection: QLocalSocket) -> None:
        if bytes(connection.readAll().data()).startswith(_RAISE):
            log.info("a second start on this store: the window comes forward")
            self.raise_requested.emit()
