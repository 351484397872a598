"""Imports every `tables` module so that `crm_core.db.metadata` holds the whole schema.

Alembic's env.py imports this module: the one exemption from the layering.
"""

from __future__ import annotations

import importlib
import pkgutil

from crm_core.db import metadata

PACKAGES = ("crm_core", "telephony", "ivr", "acd", "dialer", "recordings", "agent_ui")


def load_all_tables() -> None:
    """Import each `*.tables` module of the product's packages."""
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if module.name.rsplit(".", 1)[-1] == "tables":
                importlib.import_module(module.name)


load_all_tables()

__all__ = ["metadata"]
