"""T3: a filter that selects no record is most likely a typo; say so before syncing nothing."""

from __future__ import annotations

import difflib

from contacthub.model import BUSINESS_CONTACT


def unmatched_filters(db, filters: tuple[str, ...]) -> list[str]:
    """One warning per filter category that no live business contact has, naming the categories that exist."""
    return list(unmatched_filter_warnings(db, filters).values())


def unmatched_filter_warnings(db, filters: tuple[str, ...]) -> dict[str, str]:
    """Each filter no live business contact has -> its warning (`sync watch` says each once).

    One query of the categories in use (record_categories), not a read of every record:
    `sync run` asks this before each pass that has a filter.
    """
    if not filters:
        return {}
    with db.reading() as read:
        existing = sorted(set(read.categories_in_use(BUSINESS_CONTACT)), key=str.casefold)
    keys = {c.casefold() for c in existing}
    warnings = {}
    for wanted in filters:
        if wanted.casefold() in keys:
            continue
        close = difflib.get_close_matches(wanted.casefold(), [c.casefold() for c in existing], n=1)
        hint = f"; did you mean {next(c for c in existing if c.casefold() == close[0])}?" if close else ""
        known = ", ".join(existing) or "none"
        warnings[wanted] = f"filter {wanted!r} matches no business contact (categories in use: {known}){hint}"
    return warnings
