"""Engine fixtures: see sync_helpers for the Hub they hand out."""

from __future__ import annotations

import pytest
from sync_helpers import Hub


@pytest.fixture
def hub(tmp_path) -> Hub:
    hub = Hub(tmp_path)
    yield hub
    hub.db.dispose()
