"""What self-service needs from the rest of the CRM, as Protocols."""

from __future__ import annotations

from typing import Protocol

from crm_core.customers.model import Identification


class CallerIdentifier(Protocol):
    async def identify(self, ani: str) -> Identification:
        """Who calls from `ani` (CustomerService.identify): Identified, Ambiguous or
        Unknown; never an error for a number that is not a phone number."""
        ...
