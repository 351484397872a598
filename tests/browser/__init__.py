"""Playwright against Chromium: the desktops as a person uses them."""
