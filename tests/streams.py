"""Reading the real (moto) DynamoDB stream of the source table into Lambda-shaped records."""
from __future__ import annotations

from typing import Any

import boto3

from chalicelib.devstack.lambda_events import stream_record


class StreamTap:
    """Collects every new record of the source table's stream, in order, in Lambda's shape."""

    def __init__(self, store: Any):
        self._arn = store.client.describe_table(TableName=store.settings.source_table)["Table"]["LatestStreamArn"]
        self._streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        self._iterators: dict[str, str | None] = {}

    def take(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            iterator = self._iterators[shard_id]
            while iterator:
                page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                records.extend(lambda_record(r, self._arn) for r in page["Records"])
                iterator = page.get("NextShardIterator")
                if not page["Records"]:
                    break
            self._iterators[shard_id] = iterator
        return records


def lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """Lambda's shape of a GetRecords record: the same conversion the local stack's pump uses."""
    return stream_record(record, arn, "us-east-1")


def stream_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}
