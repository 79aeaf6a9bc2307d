"""A deployed stage refuses unsafe webhook and Slack URLs at registration (400 `unsafe_url`)."""
from __future__ import annotations

import pytest

UNSAFE_URLS = [
    "http://hooks.example.com/x",
    "https://127.0.0.1/x",
    "https://10.0.0.1/x",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/x",
    "https://[fd00:ec2::254]/x",
    "https://[::ffff:10.0.0.1]/x",
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://2130706433/x",
    "https://0177.0.0.1/x",
    "https://localhost/x",
]


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_webhook_registration_refuses_unsafe_url(api, url):
    # GIVEN a deployed stage's settings (the default: no private URLs)
    # WHEN an endpoint is registered with an unsafe URL
    answer = api.post("/api/v1/webhooks", {"url": url, "events": ["*"]})
    # THEN it is refused and nothing is registered
    assert answer.status == 400
    assert answer.body["error"]["code"] == "unsafe_url"
    assert api.get("/api/v1/webhooks").body["webhooks"] == []


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_slack_url_refuses_unsafe_url(api, url):
    # GIVEN a deployed stage's settings
    # WHEN the Slack incoming-webhook URL is set to an unsafe URL
    answer = api.patch("/api/v1/workspace", {"slack_webhook_url": url})
    # THEN it is refused and Slack stays unconfigured
    assert answer.status == 400
    assert answer.body["error"]["code"] == "unsafe_url"
    assert api.get("/api/v1/workspace").body["slack_configured"] is False
