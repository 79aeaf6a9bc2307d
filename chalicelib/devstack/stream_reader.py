"""Reading a DynamoDB stream shard by shard, as Lambda's poller does: in order, resumable.

A shard is read from TRIM_HORIZON, then by each `NextShardIterator`. When an iterator expires (or
the server forgets it), reading resumes AFTER the last sequence number handed on. A child shard
is read only once its parent is finished, so the records of one item stay in order.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Optional

log = logging.getLogger("loopdesk.devstack.stream")


@dataclass
class ShardCursor:
    """Where reading of one shard stands."""

    shard_id: str
    parent_id: Optional[str]
    iterator: Optional[str] = None
    last_sequence: Optional[str] = None
    finished: bool = False


@dataclass
class Batch:
    """Records read from one shard, and where to continue once they are handled."""

    cursor: ShardCursor
    records: list[dict[str, Any]]
    next_iterator: Optional[str]
    resume: bool = False  # the iterator was lost: nothing read, the next read starts afresh

    def commit(self) -> None:
        """The records are handled: move the cursor past them."""
        if self.resume:
            return
        if self.records:
            self.cursor.last_sequence = self.records[-1]["dynamodb"]["SequenceNumber"]
        self.cursor.iterator = self.next_iterator
        if self.next_iterator is None:
            self.cursor.finished = True


@dataclass
class StreamReader:
    """The shards of one stream, read through a boto3 `dynamodbstreams` client."""

    client: Any
    stream_arn: str
    cursors: dict[str, ShardCursor] = field(default_factory=dict)

    def refresh_shards(self) -> None:
        """Learn about shards that appeared since the last look (DescribeStream, paginated)."""
        start: Optional[str] = None
        while True:
            kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
            if start:
                kwargs["ExclusiveStartShardId"] = start
            description = self.client.describe_stream(**kwargs)["StreamDescription"]
            for shard in description.get("Shards", []):
                if shard["ShardId"] not in self.cursors:
                    self.cursors[shard["ShardId"]] = ShardCursor(shard["ShardId"], shard.get("ParentShardId"))
            start = description.get("LastEvaluatedShardId")
            if not start:
                return

    def readable(self) -> list[ShardCursor]:
        """Unfinished shards whose parent is finished (or already trimmed away)."""
        return [cursor for cursor in self.cursors.values() if not cursor.finished and self._parent_done(cursor)]

    def live_iterators(self) -> set[str]:
        return {cursor.iterator for cursor in self.cursors.values() if cursor.iterator}

    def read(self, cursor: ShardCursor, limit: int) -> Batch:
        """The next records of a shard (maybe none). Never raises for a lost iterator: it resumes."""
        from botocore.exceptions import ClientError

        try:
            if cursor.iterator is None:
                cursor.iterator = self._iterator(cursor)
            answer = self.client.get_records(ShardIterator=cursor.iterator, Limit=limit)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "TrimmedDataAccessException":
                log.warning("shard %s: records were trimmed before they were read", cursor.shard_id)
                cursor.last_sequence = None
            elif code != "ExpiredIteratorException":
                log.warning("shard %s: GetRecords failed (%s); resuming from the last sequence number",
                            cursor.shard_id, code or error)
            cursor.iterator = None
            return Batch(cursor, [], None, resume=True)
        return Batch(cursor, list(answer.get("Records", [])), answer.get("NextShardIterator"))

    def _iterator(self, cursor: ShardCursor) -> str:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": cursor.shard_id}
        if cursor.last_sequence:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=cursor.last_sequence)
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        return self.client.get_shard_iterator(**kwargs)["ShardIterator"]

    def _parent_done(self, cursor: ShardCursor) -> bool:
        parent = self.cursors.get(cursor.parent_id or "")
        return parent is None or parent.finished
