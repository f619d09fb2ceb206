"""Reading back the PDFs the app writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader


def pdf_text(path: Path) -> str:
    """The PDF's words in order, single-spaced (Qt's PDFs space words with tabs)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def print_to_file(monkeypatch: pytest.MonkeyPatch, target: Path, *answers: int) -> None:
    """Makes the print dialog answer `answers` in turn (Accepted when none are given) and
    the printer it sets up print to `target` as a PDF, so a test reads what was printed."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter
    from PySide6.QtWidgets import QDialog

    import ui.printing

    class FilePrinter(QPrinter):
        def __init__(self, mode: QPrinter.PrinterMode) -> None:
            super().__init__(mode)
            self.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            self.setOutputFileName(str(target))

    replies = iter(answers or (QDialog.DialogCode.Accepted,) * 100)
    monkeypatch.setattr(ui.printing, "QPrinter", FilePrinter)
    monkeypatch.setattr(QPrintDialog, "exec", lambda _self: next(replies))
