"""The service rig fixture, shared by the ACD service tests."""

from __future__ import annotations

from tests.unit.acd.test_service import rig as rig
