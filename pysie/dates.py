"""Excel date serials: days since 1899-12-30 (46477 is 2027-03-31).

Excel shows dates up to 9999-12-31 (serial 2958465); a later date is reported
as the text ``after 9999-12-31``, never as an overflowed number.
"""

from __future__ import annotations

import datetime
import math

#: The latest date Excel can show (9999-12-31) as a date serial, and its epoch.
LAST_EXCEL_DATE = 2958465
EXCEL_EPOCH = datetime.date(1899, 12, 30)
AFTER_LAST_DATE = "after 9999-12-31"
#: The first date whose serial means the same day in Excel and here (1900-03-01):
#: Excel counts a 1900-02-29 that never was, so earlier serials are a day apart.
FIRST_SAFE_DATE = 61
#: The number format of a date cell: yyyy-mm-dd, and the words ``after
#: 9999-12-31`` past Excel's last date (where a plain date format shows ####
#: in Excel, #FMT in LibreOffice, and openpyxl and pandas warn for every cell).
#: The text section comes first, so readers that look at the first section
#: (openpyxl's ``is_date_format``) read the cell as the number it is.
DATE_FORMAT = f'[>={LAST_EXCEL_DATE + 1}]"{AFTER_LAST_DATE}";yyyy-mm-dd'
#: The format of a date input, which its bounds keep within Excel's dates.
INPUT_DATE_FORMAT = "yyyy-mm-dd"


def iso_date(serial: float | None) -> str | None:
    """An Excel date serial as an ISO date; None when undefined (never reached),
    ``"after 9999-12-31"`` past Excel's last date."""
    if serial is None or not math.isfinite(serial):
        return None
    if serial >= LAST_EXCEL_DATE + 1:
        return AFTER_LAST_DATE
    return (EXCEL_EPOCH + datetime.timedelta(days=math.floor(serial))).isoformat()


def date_or_serial(serial: float) -> str:
    """A serial as its ISO date (``after 9999-12-31`` past Excel's last date),
    or as the number itself when it is no date at all (before year 1)."""
    try:
        return iso_date(serial) or f"{serial:g}"
    except (OverflowError, ValueError):
        return f"{serial:g}"


def date_serial(text: str) -> float:
    """An ISO date (``2027-03-31``) as an Excel date serial; ValueError otherwise."""
    return float((datetime.date.fromisoformat(text.strip()) - EXCEL_EPOCH).days)
