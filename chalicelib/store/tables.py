"""The tables, defined once: used by tests, the local stack and the deploy bootstrap alike.

`source` holds what integrators write (members, tasks, runs) and streams NEW_AND_OLD_IMAGES to the
aggregator. `state` holds everything the service derives or owns: workspaces, tokens, aggregates,
dedupe markers, reservations, alerts, deliveries, webhooks and parked stream records.
"""
from __future__ import annotations

from typing import Any

from chalicelib.config import Settings

RUNS_BY_TIME_INDEX = "runs-by-time"
RUNS_BY_TASK_INDEX = "runs-by-task"
SCHEDULE_INDEX = "by-schedule"  # sparse: DAY#date (spend that day), DUE (deliveries), PAUSED


def _string_keys(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def _index(name: str, pk: str, sk: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }


def table_definitions(settings: Settings) -> list[dict[str, Any]]:
    """CreateTable requests for both tables (on-demand billing)."""
    key_schema = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    return [
        {
            "TableName": settings.source_table,
            "KeySchema": key_schema,
            "AttributeDefinitions": _string_keys("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"),
            "GlobalSecondaryIndexes": [
                _index(RUNS_BY_TIME_INDEX, "gsi1pk", "gsi1sk"),
                _index(RUNS_BY_TASK_INDEX, "gsi2pk", "gsi2sk"),
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        },
        {
            "TableName": settings.state_table,
            "KeySchema": key_schema,
            "AttributeDefinitions": _string_keys("pk", "sk", "gsi1pk", "gsi1sk"),
            "GlobalSecondaryIndexes": [_index(SCHEDULE_INDEX, "gsi1pk", "gsi1sk")],
            "BillingMode": "PAY_PER_REQUEST",
        },
    ]


def create_tables(client: Any, settings: Settings) -> str:
    """Create both tables if missing; return the source table's stream ARN."""
    existing = set(client.list_tables().get("TableNames", []))
    for definition in table_definitions(settings):
        if definition["TableName"] not in existing:
            client.create_table(**definition)
            client.get_waiter("table_exists").wait(TableName=definition["TableName"])
    return client.describe_table(TableName=settings.source_table)["Table"]["LatestStreamArn"]


if __name__ == "__main__":  # deploy bootstrap: python -m chalicelib.store.tables
    import boto3

    cfg = Settings.from_env()
    arn = create_tables(boto3.client("dynamodb", region_name=cfg.region), cfg)
    print(arn)
