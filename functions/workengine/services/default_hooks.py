"""The hooks the deployed services run with: each module that plugs into bundles/tasks adds its hook here."""

from __future__ import annotations

from workengine.services.hooks import CompositeHooks, ServiceHooks
from workengine.settings import Settings


def build_hooks(settings: Settings) -> ServiceHooks:
    hooks: list[ServiceHooks] = []
    return CompositeHooks(hooks)
