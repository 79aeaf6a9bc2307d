"""The local stack's parts in-process, against moto: the outbox, the Lambda record shape, the pump."""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Any

import pytest
from chalice.app import DynamoDBEvent

from chalicelib.devstack.lambda_events import scheduled_event, stream_record
from chalicelib.devstack.outbox import outbox
from chalicelib.devstack.pump import StreamPump
from chalicelib.devstack.stream_reader import StreamReader

SENDER = "costs@loopdesk.example"


@pytest.fixture
def ses(aws: None) -> Any:
    import boto3

    client = boto3.client("ses", region_name="us-east-1")
    client.verify_email_identity(EmailAddress=SENDER)
    return client


@pytest.fixture
def table_stream(aws: None) -> tuple[Any, Any, str]:
    """A NEW_AND_OLD_IMAGES table: (dynamodb client, dynamodbstreams client, stream ARN)."""
    import boto3
    from botocore.config import Config

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="pumped", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    arn = dynamodb.describe_table(TableName="pumped")["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1",
                           config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    return dynamodb, streams, arn


def test_outbox_shows_simple_raw_and_html_only_mail_oldest_first(ses: Any) -> None:
    # GIVEN a plain SendEmail, an HTML SendEmail and a multipart SendRawEmail
    ses.send_email(Source=SENDER, Destination={"ToAddresses": ["maria@demo.example"]},
                   Message={"Subject": {"Data": "Plain"}, "Body": {"Text": {"Data": "Hello Maria"}}})
    ses.send_email(Source=SENDER,
                   Destination={"ToAddresses": ["leo@demo.example"], "CcAddresses": ["sam@demo.example"]},
                   Message={"Subject": {"Data": "Both"},
                            "Body": {"Text": {"Data": "ignored by moto"}, "Html": {"Data": "<p>Hi <b>Leo</b></p>"}}})
    mime = EmailMessage()
    mime["From"], mime["To"], mime["Subject"] = SENDER, "Sam <sam@demo.example>", "Your digest — $4.20"
    mime.set_content("Your tasks contributed $4.20 to today's spend")
    mime.add_alternative("<html><body><p>Your tasks contributed <b>$4.20</b></p></body></html>", subtype="html")
    ses.send_raw_email(RawMessage={"Data": mime.as_bytes()})
    # WHEN reading the outbox
    messages = outbox()["messages"]
    # THEN every message has the contract's shape, in sending order
    assert [m["subject"] for m in messages] == ["Plain", "Both", "Your digest — $4.20"]
    assert messages[0] == {"to": ["maria@demo.example"], "subject": "Plain", "text": "Hello Maria", "html": None}
    assert messages[1]["to"] == ["leo@demo.example", "sam@demo.example"]
    assert (messages[1]["text"], messages[1]["html"]) == ("Hi Leo", "<p>Hi <b>Leo</b></p>")
    assert messages[2]["to"] == ["sam@demo.example"]
    assert messages[2]["text"].strip() == "Your tasks contributed $4.20 to today's spend"
    assert "<b>$4.20</b>" in messages[2]["html"]


def test_a_stream_record_takes_lambdas_shape() -> None:
    # GIVEN a record as boto3's dynamodbstreams client returns it
    record = {
        "eventID": "e1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"ApproximateCreationDateTime": datetime(2026, 12, 4, 18, 5, tzinfo=timezone.utc),
                     "Keys": {"pk": {"S": "a"}}, "SequenceNumber": "100", "SizeBytes": 40,
                     "StreamViewType": "NEW_AND_OLD_IMAGES",
                     "NewImage": {"pk": {"S": "a"}, "blob": {"B": b"\x00\x01"},
                                  "nested": {"M": {"set": {"BS": [b"z"]}, "list": {"L": [{"N": "1"}]}}}}},
    }
    # WHEN shaped for the handler
    shaped = stream_record(record, "arn:stream", "us-east-1")
    # THEN it has epoch seconds, base64 binaries and the source ARN, and Chalice can read it
    assert shaped["eventSourceARN"] == "arn:stream"
    assert shaped["dynamodb"]["ApproximateCreationDateTime"] == 1796407500
    assert shaped["dynamodb"]["NewImage"]["blob"] == {"B": base64.b64encode(b"\x00\x01").decode()}
    assert shaped["dynamodb"]["NewImage"]["nested"]["M"]["set"] == {"BS": [base64.b64encode(b"z").decode()]}
    parsed = list(DynamoDBEvent({"Records": [shaped]}, None))[0]
    assert (parsed.event_name, parsed.sequence_number, parsed.table_name) == ("INSERT", "100", "")
    assert parsed.timestamp == datetime(2026, 12, 4, 18, 5)


def test_the_scheduled_event_has_eventbridges_fields() -> None:
    event = scheduled_event(datetime(2026, 12, 4, 18, 5, tzinfo=timezone.utc), "us-east-1")
    assert event["time"] == "2026-12-04T18:05:00Z"
    assert (event["source"], event["detail-type"], event["detail"]) == ("aws.events", "Scheduled Event", {})


def test_the_pump_retries_a_failing_batch_then_moves_on(table_stream: tuple[Any, Any, str]) -> None:
    # GIVEN three writes and a handler that fails on its first call
    dynamodb, streams, arn = table_stream
    for key in ("a", "b", "c"):
        dynamodb.put_item(TableName="pumped", Item={"pk": {"S": key}})
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append([r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]])
        if len(calls) == 1:
            raise RuntimeError("the aggregator is not ready")

    reader = StreamReader(streams, arn)
    reader.refresh_shards()
    pump = StreamPump(reader, handler, "us-east-1")
    # WHEN the pump polls twice
    assert pump.poll_once() is True
    assert pump.poll_once() is False
    # THEN the same batch came again after the failure, and nothing came twice after it succeeded
    assert calls == [["a", "b", "c"], ["a", "b", "c"]]
    assert pump.delivered == 3


def test_the_pump_redelivers_from_the_first_reported_failure(table_stream: tuple[Any, Any, str]) -> None:
    dynamodb, streams, arn = table_stream
    for key in ("a", "b", "c"):
        dynamodb.put_item(TableName="pumped", Item={"pk": {"S": key}})
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event["Records"]
        calls.append([r["dynamodb"]["Keys"]["pk"]["S"] for r in records])
        if len(calls) == 1:
            return {"batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    reader = StreamReader(streams, arn)
    reader.refresh_shards()
    StreamPump(reader, handler, "us-east-1").poll_once()
    assert calls == [["a", "b", "c"], ["b", "c"]]


class ExpiringStreams:
    """A dynamodbstreams client whose next GetRecords fails as an expired iterator does in AWS."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.expire_next = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_records(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        if self.expire_next:
            self.expire_next = False
            raise ClientError({"Error": {"Code": "ExpiredIteratorException", "Message": "expired"}}, "GetRecords")
        return self._client.get_records(**kwargs)


def test_the_pump_resumes_after_an_expired_iterator_without_repeats(table_stream: tuple[Any, Any, str]) -> None:
    # GIVEN a pump that has handled one record
    dynamodb, client, arn = table_stream
    streams = ExpiringStreams(client)
    seen: list[str] = []
    reader = StreamReader(streams, arn)
    reader.refresh_shards()
    pump = StreamPump(reader, lambda event, context: seen.extend(
        r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]), "us-east-1")
    dynamodb.put_item(TableName="pumped", Item={"pk": {"S": "a"}})
    pump.poll_once()
    # WHEN its iterator expires and more is written
    streams.expire_next = True
    dynamodb.put_item(TableName="pumped", Item={"pk": {"S": "b"}})
    pump.poll_once()
    pump.poll_once()
    # THEN it carries on after the last record it handled
    assert seen == ["a", "b"]
