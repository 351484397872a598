"""The Korean test model, loaded once per run (about 500 MB and two seconds)."""

from __future__ import annotations

import pytest

from ivr.asr import LoadedModel, load_models
from tests.integration.ivr.speech import korean_model_dir


@pytest.fixture(scope="session")
def korean_models() -> dict[str, LoadedModel]:
    return load_models({"ko": korean_model_dir()})
