"""CSV cells a spreadsheet would run as formulas are written as text; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from sync.csv_safe import csv_text, safe_cell


@pytest.mark.parametrize(
    "text",
    ["=1+1", '=HYPERLINK("https://evil.example","x")', "+49 30 1234", "-2+3", "@SUM(A1)",
     "\t=1", "\r=1", "=", "-"],
)  # fmt: skip
def test_text_a_spreadsheet_would_run_gets_a_quote_in_front(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["webinar", "", " =1", "a=b", "'=already text", "Müller", 0, -3, -0.5, Decimal("-1.25"),
     None],
)  # fmt: skip
def test_other_cells_are_written_as_they_are(value: object) -> None:
    assert safe_cell(value) == value  # type: ignore[arg-type]


def test_a_document_reads_back_with_numbers_plain_and_formulas_quoted() -> None:
    text = csv_text(
        ("name", "count", "rate", "note"),
        [("=cmd|' /C calc'!A0", -2, Decimal("0.50"), "line one\nline two"), ("ok", 3, None, "")],
    )
    assert text.startswith("name,count,rate,note\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "count", "rate", "note"],
        ["'=cmd|' /C calc'!A0", "-2", "0.50", "line one\nline two"],
        ["ok", "3", "", ""],
    ]
