"""CSV files a spreadsheet opens safely: a text cell it would run as a formula is defused.

OWASP's advice on CSV injection: a cell starting with =, +, -, @, a tab or a carriage
return is read as a formula by Excel, LibreOffice and Google Sheets (=HYPERLINK(...) can
leak the sheet, DDE payloads can start programs). Such a text cell is written with a
single quote in front, which spreadsheets show as text. Numbers we write stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


def safe_cell(value: Cell) -> Cell:
    """`value`, with a single quote in front if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Cell]]) -> str:
    """A CSV document ("\\n" line ends) of `header` then `rows`, every text cell made safe.

    Every CSV the project writes goes through here, so none forgets to defuse a cell.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()


# What an imported cell may not look like: a formula (=, @), or +/- followed by a function
# or a DDE call. Phone numbers (+49 221 …) and negative numbers pass.
_FORMULA = re.compile(r"^\s*[=@]|^\s*[+-]\s*[A-Za-z(]|^[\t\r]|\|.*!")


def looks_like_formula(text: str) -> bool:
    """Whether an imported text cell would run as a formula when a spreadsheet opens a
    report or export that carries it (we refuse those at import: nobody types them)."""
    return bool(_FORMULA.search(text))
