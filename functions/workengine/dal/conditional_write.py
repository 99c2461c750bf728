"""One conditional single-item write whose failed condition is an answer, not an error."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from workengine.dal.reads import call_dynamodb

_CONDITION_FAILED = "ConditionalCheckFailedException"


def write_if(client: Any, table_name: str, operation: str, **kwargs: Any) -> bool:
    """``client.<operation>`` on ``table_name``: True when written, False when its condition did not
    hold. Raises ServiceUnavailableError when DynamoDB throttles; other ClientErrors pass through."""
    try:
        call_dynamodb(client, operation, TableName=table_name, **kwargs)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) == _CONDITION_FAILED:
            return False
        raise
    return True
