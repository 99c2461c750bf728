"""Where ``POST /bundles`` keeps its idempotency records: the Powertools DynamoDB persistence layer on the
table, in one static partition, expiring through the table's TTL attribute."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from workengine.dal.table import PK, SK, TTL_ATTRIBUTE

IDEMPOTENCY_PARTITION = "IDEMPOTENCY#create_bundle"


def bundle_idempotency_store(client: Any, table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr=PK,
        sort_key_attr=SK,
        static_pk_value=IDEMPOTENCY_PARTITION,
        expiry_attr=TTL_ATTRIBUTE,
        boto3_client=client,
    )
