"""Slicing work into batches (Python 3.12's itertools.batched, for 3.11)."""

from __future__ import annotations

from collections.abc import Iterator


def batches(items: list, size: int) -> Iterator[list]:
    """`items` in slices of at most `size` (at least one per slice)."""
    size = max(1, size)
    for start in range(0, len(items), size):
        yield items[start : start + size]
