"""Composition root: settings, the event bus, app wiring and the `contactcentre` CLI."""
