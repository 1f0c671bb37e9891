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


def iso_date(serial: float | None) -> str | None:
    """An Excel date serial as an ISO date; None when undefined (never reached),
    ``"after 9999-12-31"`` past Excel's last date."""
    if serial is None or not math.isfinite(serial):
        return None
    if serial >= LAST_EXCEL_DATE + 1:
        return AFTER_LAST_DATE
    return (EXCEL_EPOCH + datetime.timedelta(days=math.floor(serial))).isoformat()


def date_serial(text: str) -> float:
    """An ISO date (``2027-03-31``) as an Excel date serial; ValueError otherwise."""
    return float((datetime.date.fromisoformat(text.strip()) - EXCEL_EPOCH).days)
