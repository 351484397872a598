"""Fixtures the simulator's contract tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.sim_harness import AgiScript


@pytest.fixture
async def agi() -> AsyncIterator[AgiScript]:
    """A FastAGI responder that plays the commands a test gives it."""
    script = AgiScript([])
    await script.start()
    yield script
    await script.stop()
