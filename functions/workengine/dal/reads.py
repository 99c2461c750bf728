"""Reads of the single table (GetItem, Query, BatchGetItem) with DynamoDB throttling mapped to a domain
error.

The repositories keep their key layouts and entity decoding; this module owns the request shapes they
share and the one set of error codes that mean "DynamoDB is busy" (writes use it too).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from workengine.dal import table as t
from workengine.dal.codec import AttributeMap
from workengine.domain.errors import ServiceUnavailableError
from workengine.domain.paging import Cursor
from workengine.retries import resend_leftovers

# Codes DynamoDB returns when a request exceeds capacity after botocore's own retries.
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# What botocore raises when DynamoDB did not answer at all after its own retries: connection refused or
# reset, connect or read timeout. Not a bug of the caller's, and a retry may well succeed: 503, like
# throttling (a timed-out write may have been applied; the retry then meets the new version or key).
UNREACHABLE_ERRORS = (BotocoreConnectionError, HTTPClientError)
_BATCH_GET_LIMIT = 100
# A filtered listing reads on until its page is full, at most this many Query requests per page, each
# evaluating at most FILTERED_READ_CAP items: about 1,500 items looked at per page at the most.
FILTERED_PAGE_REQUESTS = 6
FILTERED_READ_CAP = 500


def translate_read_error(exc: ClientError) -> Exception:
    """ServiceUnavailableError for a throttling code, else ``exc`` itself (raise the result ``from exc``)."""
    if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
        return ServiceUnavailableError("the database is busy; retry the request")
    return exc


def unreachable_error() -> ServiceUnavailableError:
    """The domain error for one of UNREACHABLE_ERRORS (raise it ``from`` the botocore error)."""
    return ServiceUnavailableError("the database did not answer in time; retry the request")


def call_dynamodb(client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
    """``client.<operation>(**kwargs)``. Raises ServiceUnavailableError when DynamoDB throttles or does not
    answer; any other ClientError propagates unchanged (callers may still inspect its code)."""
    try:
        response: dict[str, Any] = getattr(client, operation)(**kwargs)
    except UNREACHABLE_ERRORS as exc:
        raise unreachable_error() from exc
    except ClientError as exc:
        translated = translate_read_error(exc)
        if translated is exc:
            raise
        raise translated from exc
    return response


class TableReader:
    """GetItem/Query on one table. Every method raises ServiceUnavailableError when DynamoDB throttles
    and re-raises any other ClientError unchanged."""

    def __init__(self, client: Any, table_name: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep

    def query(self, **kwargs: Any) -> dict[str, Any]:
        """One Query request (one page); ``kwargs`` are Query parameters without ``TableName``."""
        return call_dynamodb(self._client, "query", TableName=self._table, **kwargs)

    def query_page(self, cursor: Cursor | None, **kwargs: Any) -> tuple[list[AttributeMap], Cursor | None]:
        """One Query page starting after ``cursor`` (string key attributes only): its items and the cursor
        of the next page, None after the last."""
        if cursor:
            kwargs["ExclusiveStartKey"] = {name: {"S": value} for name, value in cursor.items()}
        response = self.query(**kwargs)
        last = response.get("LastEvaluatedKey")
        next_cursor = {name: value["S"] for name, value in last.items()} if last else None
        return response.get("Items", []), next_cursor

    def query_filled_page(
        self, cursor: Cursor | None, limit: int, **kwargs: Any
    ) -> tuple[list[AttributeMap], Cursor | None]:
        """Up to ``limit`` items of a Query with a ``FilterExpression``, reading on past pages that the
        filter emptied: DynamoDB's ``Limit`` counts items *read*, so one request may match few or none.

        Reads at most ``FILTERED_PAGE_REQUESTS`` requests per page (the first evaluates ``limit`` items,
        each next one twice as many, up to ``FILTERED_READ_CAP``); a page comes back short with a
        cursor only when that budget is spent. The cursor of a full page is the key of its last item,
        so nothing read beyond it is lost."""
        index = t.INDEX_BY_NAME.get(kwargs.get("IndexName", ""))
        key_names = [t.PK, t.SK]
        if index is not None:
            key_names += [index.partition_key] + ([index.sort_key] if index.sort_key else [])
        items: list[AttributeMap] = []
        read_limit = limit
        for _ in range(FILTERED_PAGE_REQUESTS):
            page, cursor = self.query_page(cursor, Limit=read_limit, **kwargs)
            for position, item in enumerate(page):
                items.append(item)
                if len(items) == limit:
                    if position == len(page) - 1 and cursor is None:
                        return items, None
                    return items, {name: item[name]["S"] for name in key_names}
            if cursor is None:
                return items, None
            read_limit = min(read_limit * 2, FILTERED_READ_CAP)
        return items, cursor

    def query_all(self, **kwargs: Any) -> Iterator[AttributeMap]:
        """Every item of a Query, following ``LastEvaluatedKey`` past DynamoDB's 1 MB pages; the next
        page is requested only when the caller iterates past the current one."""
        start: dict[str, Any] = {}
        while True:
            response = self.query(**kwargs, **start)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            start = {"ExclusiveStartKey": last}

    def query_prefix(self, pk: str, prefix: str, *, consistent: bool = False) -> Iterator[AttributeMap]:
        """Every item of partition ``pk`` whose sort key starts with ``prefix``, in sort-key order."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": t.PK, "#sk": t.SK},
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
        }
        if consistent:
            kwargs["ConsistentRead"] = True
        return self.query_all(**kwargs)

    def get(self, pk: str, sk: str) -> AttributeMap | None:
        """The item with key (``pk``, ``sk``) by a strongly consistent GetItem, or None when absent."""
        response = call_dynamodb(
            self._client,
            "get_item",
            TableName=self._table,
            Key={t.PK: {"S": pk}, t.SK: {"S": sk}},
            ConsistentRead=True,
        )
        item: AttributeMap | None = response.get("Item")
        return item

    def find_by_id(self, tenant_id: str, entity_id: str, entity_type: str) -> AttributeMap | None:
        """The item of ``entity_type`` with this ID through the entity index (its key starts with the
        tenant, so other tenants' IDs are not found), or None. One Query for any single entity."""
        for item in self.query_all(
            IndexName=t.GSI_ENTITY,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": "gsi_entity_pk"},
            ExpressionAttributeValues={":pk": {"S": t.entity_pk(tenant_id, entity_id)}},
        ):
            if item.get("entity_type", {}).get("S") == entity_type:
                return item
        return None

    def batch_get(
        self, keys: Sequence[tuple[str, str]], *, consistent: bool = False
    ) -> Iterator[AttributeMap]:
        """The stored items among these (pk, sk) keys: one BatchGetItem per 100 keys, repeated for any
        ``UnprocessedKeys`` after a jittered backoff (``retries.resend_leftovers``). Absent keys yield
        nothing; items come in no particular order. Raises ServiceUnavailableError when keys are still
        unprocessed after the last attempt."""
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            wanted: dict[str, Any] = {
                "Keys": [
                    {t.PK: {"S": pk}, t.SK: {"S": sk}} for pk, sk in keys[start : start + _BATCH_GET_LIMIT]
                ]
            }
            if consistent:
                wanted["ConsistentRead"] = True
            found: list[AttributeMap] = []

            def send(request: dict[str, Any], found: list[AttributeMap] = found) -> dict[str, Any] | None:
                response = call_dynamodb(self._client, "batch_get_item", RequestItems=request)
                found.extend(response.get("Responses", {}).get(self._table, []))
                return response.get("UnprocessedKeys") or None

            left = resend_leftovers(send, {self._table: wanted}, sleep=self._sleep)
            if left:
                raise ServiceUnavailableError("the database is busy; retry the request")
            yield from found
