"""Slicing work into batches (Python 3.12's itertools.batched, for 3.11)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

IDS_PER_QUERY = 500  # ids in one IN (...): within every backend's parameter limit (SQLite's was 999 before 3.32)


def batches(items: Iterable, size: int) -> Iterator[list]:
    """`items` in lists of at most `size` (at least one per list), read as a stream."""
    size = max(1, size)
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch
