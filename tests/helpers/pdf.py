"""Reading back the PDFs the app writes."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader


def pdf_text(path: Path) -> str:
    """The PDF's words in order, single-spaced (Qt's PDFs space words with tabs)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())
