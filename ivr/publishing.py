"""Publishing an IVR flow document (JSON, or YAML text): read and checked by the
registry, saved, then serving new calls; or only checked. One way for the API and
the pages. No HTTP here: callers turn the errors into answers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from ivr.flow_store import FlowStore, FlowStoreFailed
from ivr.loader import FlowRegistry, Publication, invalid, yaml_where
from ivr.model import Flow
from ivr.parts import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Published:
    flow: Flow
    """The version serving new calls now."""
    published: bool
    """False when the document equals the running version's (nothing changed)."""


class FlowPublishing:
    """`check` and `publish` a flow document. Both raise FlowInvalid (every
    problem, the running version staying in service); `publish` raises also
    `ivr.flow_store.FlowVersionTaken` (another version was published meanwhile)
    and `FlowStoreFailed` (not saved, so not published)."""

    def __init__(self, registry: FlowRegistry, store: FlowStore, clock: Clock) -> None:
        self.registry = registry
        self._store = store
        self._clock = clock

    def check(self, text: str, *, yaml_text: bool, by: str) -> Flow:
        """The flow `text` would publish (the running one if unchanged)."""
        data = document(text, yaml_text=yaml_text, source=f"api:{by}")
        return self.registry.candidate(data, source=f"api:{by}")

    async def publish(self, text: str, *, yaml_text: bool, by: str) -> Published:
        """Save first, publish after: a version that serves calls is always one a
        restart brings back."""
        source = f"api:{by}"
        data = document(text, yaml_text=yaml_text, source=source)
        name = data.get("flow") if isinstance(data, Mapping) else None
        running = self.registry.current(name) if isinstance(name, str) else None
        flow = self.registry.candidate(data, source=source)
        if flow is running:
            log.info(
                "IVR flow unchanged flow=%s version=%s by=%s",
                flow.name,
                flow.version,
                by,
            )
            return Published(flow=flow, published=False)
        at = self._clock.now()
        try:
            await self._store.save(flow, data, by=by, at=at)
        except FlowStoreFailed as error:
            log.error("IVR flow not saved flow=%s by=%s: %s", flow.name, by, error)
            raise
        served = self.registry.publish(
            data, source=flow.source, version=flow.version,
            published=Publication(at=at, by=by),
        )  # fmt: skip
        log.info(
            "IVR flow published flow=%s version=%s digest=%s by=%s",
            served.name, served.version, served.digest, by,
        )  # fmt: skip
        return Published(flow=served, published=True)

    def document_text(self, name: str) -> str | None:
        """The running version's document as YAML text, to edit (None: no flow)."""
        flow = self.registry.current(name)
        if flow is None:
            return None
        data = self.registry.document(name, flow.version)
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def document(text: str, *, yaml_text: bool, source: str) -> object:
    """The parsed document; FlowInvalid naming the body when it is not JSON or
    YAML."""
    if yaml_text:
        try:
            return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (safe, no aliases)
        except yaml.YAMLError as error:
            raise invalid(
                source, f"not YAML: {yaml_where(error)}", field="body"
            ) from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise invalid(source, f"not JSON: {error}", field="body") from None


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases: a few nested aliases expand to gigabytes
    when the document is hashed or validated, and flow files do not need them."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.current_event.start_mark  # set by check_event
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted", mark
            )
        return super().compose_node(parent, index)
