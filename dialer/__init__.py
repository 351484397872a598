"""Outbound dialer: campaigns, call lists, pacing and the campaign runner."""
