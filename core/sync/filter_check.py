"""T3: a filter that selects no record is most likely a typo; say so before syncing nothing."""

from __future__ import annotations

import difflib


def unmatched_filters(db, filters: tuple[str, ...]) -> list[str]:
    """One warning per filter category that no live business contact has, naming the categories that exist."""
    if not filters:
        return []
    with db.transaction(readonly=True) as tx:
        records = [r for r in tx.records.list(deleted=False) if r.type.is_business_contact]
    existing = sorted({c for r in records for c in r.contact.categories}, key=str.casefold)
    keys = {c.casefold() for c in existing}
    warnings = []
    for wanted in filters:
        if wanted.casefold() in keys:
            continue
        close = difflib.get_close_matches(wanted.casefold(), [c.casefold() for c in existing], n=1)
        hint = f"; did you mean {next(c for c in existing if c.casefold() == close[0])}?" if close else ""
        known = ", ".join(existing) or "none"
        warnings.append(f"filter {wanted!r} matches no business contact (categories in use: {known}){hint}")
    return warnings
