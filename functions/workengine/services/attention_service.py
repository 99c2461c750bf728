"""``GET /attention``: the caller's (or, for admins, the tenant's) open work ranked by the attention score
of ``domain.attention``."""

from __future__ import annotations

from enum import StrEnum

from workengine.dal.attention_reads import DynamoAttentionReader
from workengine.domain.attention import AttentionItem, rank
from workengine.domain.clock import Clock, utc_now
from workengine.domain.enums import Role
from workengine.domain.identity import Identity


class AttentionScope(StrEnum):
    ME = "me"
    TENANT = "tenant"


class AttentionService:
    """Raises ForbiddenError (scope ``tenant`` below admin) and ServiceUnavailableError (throttling)."""

    def __init__(self, reader: DynamoAttentionReader, *, clock: Clock = utc_now) -> None:
        self._reader = reader
        self._clock = clock

    def attention(
        self, identity: Identity, scope: AttentionScope = AttentionScope.ME, *, limit: int | None = None
    ) -> list[AttentionItem]:
        """Scope ``me``: open tasks assigned or escalated to the caller (four index Queries) and one Query
        per bundle they belong to. Scope ``tenant`` (admin): one index Query for the active bundles and
        one Query per active bundle. Highest score first; at most ``limit`` items when given."""
        identity.require(Role.VIEWER)
        tenant = identity.tenant_id
        if scope is AttentionScope.TENANT:
            identity.require(Role.ADMIN)
            bundles = self._reader.bundles_with_tasks(tenant, self._reader.active_bundle_ids(tenant))
            candidates = [task for _, tasks in bundles.values() for task in tasks]
            items = rank(candidates, bundles, caller=None, now=self._clock())
        else:
            user = identity.user_id
            candidates = [
                *self._reader.open_tasks_escalated_to(tenant, user),
                *self._reader.open_tasks_assigned_to(tenant, user),
            ]
            bundles = self._reader.bundles_with_tasks(tenant, (task.bundle_id for task in candidates))
            items = rank(candidates, bundles, caller=user, now=self._clock())
        return items if limit is None else items[:limit]
