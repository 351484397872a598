"""What the auth service needs from outside: a clock."""

from __future__ import annotations

from crm_core.clock import Clock as Clock
