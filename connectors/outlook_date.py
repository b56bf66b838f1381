"""Birthdays and anniversaries in Outlook, shared by the `ews` and `graph` connectors.

The model holds a date as ``YYYY-MM-DD`` or, without a year, ``--MM-DD``
(vCard 4 truncated date, RFC 6350 §4.3.1; ``--MMDD`` is accepted too).
Outlook has no "date without a year": it stores such a birthday in the year
1604, and shows a 1604 date as a day and month only. So a year-less date is
written as 1604, and a 1604 date reads back as "no year".
"""

from __future__ import annotations

import datetime
import re

NO_YEAR = 1604  # Outlook's year for "birthday without a year"
_NO_YEAR_TEXT = re.compile(r"--(\d\d)-?(\d\d)")
_FULL = re.compile(r"(\d{4})-?(\d\d)-?(\d\d)")


def to_outlook_date(text: str) -> datetime.date | None:
    """The date Outlook stores for a model date; None when it is not a date (the details keep it)."""
    text = (text or "").strip()
    no_year = _NO_YEAR_TEXT.fullmatch(text)
    full = _FULL.fullmatch(text[:10]) if not no_year else None
    try:
        if no_year:
            return datetime.date(NO_YEAR, int(no_year.group(1)), int(no_year.group(2)))
        if full:
            return datetime.date(*(int(g) for g in full.groups()))
    except ValueError:
        pass  # 02-30 and the like
    return None


def from_outlook_date(value: datetime.date | None) -> str:
    """The model date for a date Outlook holds; 1604 means "no year"."""
    if value is None:
        return ""
    if value.year == NO_YEAR:
        return f"--{value.month:02d}-{value.day:02d}"
    return datetime.date(value.year, value.month, value.day).isoformat()  # a datetime, too
