"""The store handle: both tables, a low-level client for transactions, and error translation."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from chalicelib.config import Settings


@dataclass
class Store:
    """Handles to the two tables. Built by `connect` (or by tests around moto)."""

    settings: Settings
    client: Any  # the resource's client: takes and returns plain Python values
    source: Any  # boto3 Table
    state: Any  # boto3 Table

    def transact(self, items: list[dict[str, Any]]) -> None:
        """TransactWriteItems with plain Python values (the resource's client serializes them)."""
        self.client.transact_write_items(TransactItems=items)

    def batch_get(self, table: Any, keys: Iterable[dict[str, str]]) -> list[dict[str, Any]]:
        """BatchGetItem over any number of keys (100 a request, unprocessed keys retried)."""
        keys = list({(k["pk"], k["sk"]): k for k in keys}.values())
        found: list[dict[str, Any]] = []
        resource = table.meta.client
        for start in range(0, len(keys), 100):
            request = {table.name: {"Keys": keys[start:start + 100], "ConsistentRead": True}}
            while request:
                answer = resource.batch_get_item(RequestItems=request)
                found.extend(answer["Responses"].get(table.name, []))
                request = answer.get("UnprocessedKeys") or {}
        return found


def connect(settings: Settings) -> Store:
    """Create the boto3 handles (lazily imported: boto3 costs cold-start time)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 5, "mode": "standard"}, account_id_endpoint_mode="disabled")
    session = boto3.session.Session(region_name=settings.region)
    resource = session.resource("dynamodb", endpoint_url=settings.endpoint_url, config=config)
    return Store(
        settings=settings,
        client=resource.meta.client,
        source=resource.Table(settings.source_table),
        state=resource.Table(settings.state_table),
    )


def is_conditional_failure(error: Exception) -> bool:
    """A ClientError whose cause is a failed condition (alone or inside a transaction)."""
    response = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def cancellation_reasons(error: Exception) -> list[str]:
    response = getattr(error, "response", None) or {}
    return [reason.get("Code", "None") for reason in response.get("CancellationReasons", [])]


def plain(value: Any) -> Any:
    """DynamoDB Decimals back to ints where integral."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def query_all(table: Any, pk: str, prefix: str | None = None) -> list[dict[str, Any]]:
    """Every item of one partition (optionally of one sort-key prefix), page after page, consistently."""
    from boto3.dynamodb.conditions import Key

    condition = Key("pk").eq(pk)
    if prefix:
        condition &= Key("sk").begins_with(prefix)
    kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": True}
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**kwargs)
        items.extend(plain(item) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
