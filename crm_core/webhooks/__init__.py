"""Webhooks: external systems subscribe to event kinds and get signed HTTP POSTs."""
