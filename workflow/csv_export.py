"""CSV files for spreadsheets: every CSV the application writes goes through here.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for a
formula by Excel, LibreOffice and Google Sheets (CSV injection, OWASP): a customer's name or
a product typed as ``=HYPERLINK(...)`` would run on a manager's machine. Such text cells get
a leading apostrophe, which spreadsheets show as text and never evaluate. Numbers stay
numbers.
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value as a spreadsheet should read it: never as a formula."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_text(fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A CSV document with a header line; every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[neutralise(f) for f in fieldnames])
    writer.writeheader()
    for row in rows:
        writer.writerow({neutralise(k): neutralise(v) for k, v in row.items()})
    return buffer.getvalue()
