"""The embedded AWS: moto in server mode, in this process, with the tables and the SES sender."""
from __future__ import annotations

import logging
from typing import Any, Iterable

from chalicelib.config import Settings

log = logging.getLogger("loopdesk.devstack.aws")


class EmbeddedAws:
    """A moto server on a free loopback port; `endpoint_url` is what boto3 must be pointed at."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint_url = ""

    def start(self) -> str:
        # werkzeug logs every request at INFO: the stream pump alone polls five times a second.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        logging.getLogger("botocore.credentials").setLevel(logging.WARNING)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        log.info("moto listening on %s", self.endpoint_url)
        return self.endpoint_url

    def stop(self) -> None:
        if self.endpoint_url:
            self._server.stop()
            self.endpoint_url = ""


def client(service: str, settings: Settings) -> Any:
    """A boto3 client for the embedded AWS (endpoint from the environment, few quick retries)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 2, "mode": "standard"}, account_id_endpoint_mode="disabled")
    return boto3.client(service, region_name=settings.region, endpoint_url=settings.endpoint_url, config=config)


def provision(settings: Settings) -> str:
    """Create both tables and verify the SES sender; return the source table's stream ARN."""
    from chalicelib.store.tables import create_tables

    stream_arn = create_tables(client("dynamodb", settings), settings)
    client("ses", settings).verify_email_identity(EmailAddress=settings.sender_email)
    log.info("tables %s and %s ready; SES sender %s verified", settings.source_table, settings.state_table,
             settings.sender_email)
    return stream_arn


def prune_stream_iterators(keep: Iterable[str]) -> None:
    """Forget every shard iterator but the live ones.

    moto keeps each iterator it ever handed out (one per GetRecords call), so a poller at 5 Hz
    would grow the process by hundreds of MB a day. In-process access only; harmless if moto changes.
    """
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    live = set(keep)
    for regions in list(dict.values(dynamodbstreams_backends)):
        for backend in list(dict.values(regions)):
            iterators = getattr(backend, "shard_iterators", None)
            if isinstance(iterators, dict):
                backend.shard_iterators = {arn: it for arn, it in list(iterators.items()) if arn in live}
