"""Every environment variable and stage setting, read in one place."""
from __future__ import annotations

import os
from dataclasses import dataclass

PLACEHOLDER_STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:000000000000:table/loopdesk-dev-source/stream/1970-01-01T00:00:00.000"
)


@dataclass(frozen=True)
class Settings:
    """The settings of one stage (or of the local stack)."""

    stage: str
    source_table: str
    state_table: str
    admin_token_sha256: str
    allow_private_urls: bool
    region: str
    endpoint_url: str | None
    source_stream_arn: str
    sender_email: str
    public_base_url: str
    signing_secret: str

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        stage = env.get("LOOPDESK_STAGE", "dev")
        return cls(
            stage=stage,
            source_table=env.get("LOOPDESK_SOURCE_TABLE", f"loopdesk-{stage}-source"),
            state_table=env.get("LOOPDESK_STATE_TABLE", f"loopdesk-{stage}-state"),
            admin_token_sha256=env.get("LOOPDESK_ADMIN_TOKEN_SHA256", ""),
            allow_private_urls=env.get("LOOPDESK_ALLOW_PRIVATE_URLS", "0") == "1",
            region=env.get("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1")),
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            source_stream_arn=env.get("LOOPDESK_SOURCE_STREAM_ARN", PLACEHOLDER_STREAM_ARN),
            sender_email=env.get("LOOPDESK_SENDER_EMAIL", "costs@loopdesk.example"),
            public_base_url=env.get("LOOPDESK_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
            signing_secret=env.get("LOOPDESK_SIGNING_SECRET", ""),
        )


def source_stream_arn() -> str:
    """The stream ARN the aggregator subscribes to (needed at import time by Chalice)."""
    return os.environ.get("LOOPDESK_SOURCE_STREAM_ARN", PLACEHOLDER_STREAM_ARN)
