"""Standard Webhooks signatures, checked against the spec's vector and the reference library (PyPI)."""
from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib.alerts import signing

# The test vector of the Standard Webhooks reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_spec_vector():
    assert signing.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_headers_verify_with_the_reference_library():
    # GIVEN a new endpoint secret and a body signed now
    secret, body = signing.new_secret(), b'{"type":"workspace.cost_spike"}'
    headers = signing.headers(secret, "msg_1", int(time.time()), body)
    # WHEN the receiver verifies it with the reference library
    payload = Webhook(secret).verify(body, headers)
    # THEN it passes and yields the payload
    assert payload == {"type": "workspace.cost_spike"}


def test_tampered_body_does_not_verify():
    # GIVEN a signed body
    secret = signing.new_secret()
    headers = signing.headers(secret, "msg_1", int(time.time()), b'{"cost":"1.000000"}')
    # WHEN the body is changed in transit
    # THEN the reference library refuses it
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"cost":"9.000000"}', headers)


def test_retry_keeps_the_id_and_signs_its_own_timestamp():
    # GIVEN one message signed at two attempts, a minute apart
    secret, body = signing.new_secret(), b"{}"
    first = signing.headers(secret, "msg_1", 1_800_000_000, body)
    second = signing.headers(secret, "msg_1", 1_800_000_060, body)
    # THEN the id is the same, the timestamp and signature are not
    assert first["webhook-id"] == second["webhook-id"] == "msg_1"
    assert (first["webhook-timestamp"], second["webhook-timestamp"]) == ("1800000000", "1800000060")
    assert first["webhook-signature"] != second["webhook-signature"]


def test_new_secret_is_whsec_with_24_random_bytes():
    secrets = {signing.new_secret() for _ in range(3)}
    assert len(secrets) == 3
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
