"""Template statistics counters and the record of which changes they already counted.

Counting one change is one TransactWriteItems: a marker item naming the change (put only if absent) and
an ``ADD`` of the change's counter deltas on two counters items, the template version's and the
all-versions rollup. A change delivered again (a replayed stream record, a retried batch) finds its
marker and the transaction is cancelled as a whole: nothing is counted twice, and a change is never
half-counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from workengine.dal import table as t
from workengine.dal.codec import AttributeMap
from workengine.dal.reads import TableReader
from workengine.dal.transactions import (
    ItemRef,
    TransactionConflict,
    TransactionContention,
    WriteTransaction,
    commit,
)
from workengine.retries import retry_while

STATS_ENTITY_TYPE = "template_stats"
COUNTED = ItemRef("counted")  # the marker that a change was counted
APPLIED_ENTITY_TYPE = "stats_change"
# Markers outlive every redelivery: a stream keeps records 24 hours and the event source mapping gives
# up on a record after STREAM_MAX_RECORD_AGE (infra), both well inside this.
APPLIED_MARKER_DAYS = 7
# Drift reads the counters of at most this many versions of one template (one Query page).
MAX_VERSIONS_READ = 200
_BOOKKEEPING = frozenset({t.PK, t.SK, "entity_type", "tenant_id", "template_id", "template_version"})


@dataclass(frozen=True)
class ChangeCount:
    """What one change of a bundle's item adds to its template version's counters."""

    tenant_id: str
    bundle_id: str
    template_id: str
    template_version: str
    change_id: str
    deltas: Mapping[str, int]


def _counters(item: AttributeMap | None) -> dict[str, int]:
    if item is None:
        return {}
    return {
        name: int(value["N"]) for name, value in item.items() if name not in _BOOKKEEPING and "N" in value
    }


class DynamoStatsRepository:
    """Raises ServiceUnavailableError when DynamoDB throttles (or stays contended past the retries)."""

    def __init__(self, client: Any, table_name: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep
        self._reader = TableReader(client, table_name, sleep=sleep)

    # ---- writes -----------------------------------------------------------------------------------
    def count_change(self, change: ChangeCount, now: datetime) -> bool:
        """Add ``change.deltas`` to the version's and the rollup's counters unless the change was counted
        before. True when counted now, False when it had been already (or moves nothing)."""
        tenant_id, template_id, deltas = change.tenant_id, change.template_id, change.deltas
        if not deltas:
            return False
        transaction = WriteTransaction(self._table)
        transaction.put_new(self._marker(tenant_id, change.bundle_id, change.change_id, now), label=COUNTED)
        pk = t.stats_pk(tenant_id, template_id)
        version_sk = t.stats_version_sk(change.template_version)
        for sk, version in ((version_sk, change.template_version), (t.STATS_ALL_SK, None)):
            update = _counter_update(pk, sk, tenant_id, template_id, version, deltas)
            transaction.add({"Update": {"TableName": self._table, **update}}, "counters")
        try:
            retry_while(
                lambda error: isinstance(error, TransactionContention),
                lambda: commit(self._client, transaction),
                sleep=self._sleep,
            )
        except TransactionConflict as exc:
            if exc.on == COUNTED:
                return False
            raise
        return True

    @staticmethod
    def _marker(tenant_id: str, bundle_id: str, change_id: str, now: datetime) -> AttributeMap:
        expires = int((now + timedelta(days=APPLIED_MARKER_DAYS)).timestamp())
        return {
            t.PK: {"S": t.stats_applied_pk(tenant_id, bundle_id)},
            t.SK: {"S": change_id},
            "entity_type": {"S": APPLIED_ENTITY_TYPE},
            t.TTL_ATTRIBUTE: {"N": str(expires)},
        }

    # ---- reads ------------------------------------------------------------------------------------
    def counters(self, tenant_id: str, template_id: str, template_version: str | None) -> dict[str, int]:
        """The counters of one version (all versions: None) by one GetItem; empty when none counted."""
        sk = t.STATS_ALL_SK if template_version is None else t.stats_version_sk(template_version)
        return _counters(self._reader.get(t.stats_pk(tenant_id, template_id), sk))

    def version_counters(self, tenant_id: str, template_id: str) -> dict[str, dict[str, int]]:
        """Counters by template version, for up to ``MAX_VERSIONS_READ`` versions: one Query page."""
        response = self._reader.query(
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#pk": t.PK, "#sk": t.SK},
            ExpressionAttributeValues={
                ":pk": {"S": t.stats_pk(tenant_id, template_id)},
                ":prefix": {"S": t.STATS_VERSION_SK_PREFIX},
            },
            Limit=MAX_VERSIONS_READ,
        )
        return {
            item[t.SK]["S"][len(t.STATS_VERSION_SK_PREFIX) :]: _counters(item)
            for item in response.get("Items", [])
        }


def _counter_update(
    pk: str,
    sk: str,
    tenant_id: str,
    template_id: str,
    template_version: str | None,
    deltas: Mapping[str, int],
) -> dict[str, Any]:
    """``SET`` the item's identity, ``ADD`` each delta (a counter absent so far starts from zero)."""
    names = {"#entity": "entity_type", "#tenant": "tenant_id", "#template": "template_id"}
    values: dict[str, Any] = {
        ":entity": {"S": STATS_ENTITY_TYPE},
        ":tenant": {"S": tenant_id},
        ":template": {"S": template_id},
    }
    sets = ["#entity = :entity", "#tenant = :tenant", "#template = :template"]
    if template_version is not None:
        names["#version"] = "template_version"
        values[":version"] = {"S": template_version}
        sets.append("#version = :version")
    adds = []
    for index, (name, change) in enumerate(sorted(deltas.items())):
        names[f"#c{index}"] = name
        values[f":c{index}"] = {"N": str(change)}
        adds.append(f"#c{index} :c{index}")
    return {
        "Key": {t.PK: {"S": pk}, t.SK: {"S": sk}},
        "UpdateExpression": f"SET {', '.join(sets)} ADD {', '.join(adds)}",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
