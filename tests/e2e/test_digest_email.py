"""The digest on the running stack: three emails that reconcile, and their HTML in real Chromium."""
from __future__ import annotations

import html
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.test_dashboard import ARTIFACTS, browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.e2e
LINE = re.compile(r"Your tasks contributed (\$[\d,]+\.\d\d|<\$0\.01) to today's spend")


def dollars(value: str) -> str:
    cents = (Decimal(value) * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    return f"${int(cents) // 100:,}.{int(cents) % 100:02d}"


@pytest.fixture
def digest_emails(stack, new_workspace):
    """A workspace with three members and spend today; its digest sent; the emails from /dev/outbox."""
    workspace_id, token = new_workspace
    tag = uuid.uuid4().hex[:8]
    for member in ("maria", "leo", "sam"):
        stack.call("PUT", f"/api/v1/members/{member}", {"name": member.title(), "email": f"{member}.{tag}@example.com",
                                                      "role": "operator"}, token=token)
    stack.call("PUT", "/api/v1/tasks/t1", {"title": "Invoices", "assignee_id": "maria", "status": "open"}, token=token)
    stack.call("PUT", "/api/v1/tasks/t2", {"title": "Reviews", "assignee_id": "leo", "status": "open"}, token=token)
    started = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    runs = [{"run_id": f"d{i}", "task_id": task, "started_at": started, "model": "m", "input_tokens": 1,
             "output_tokens": 1, "cost_usd": cost}
            for i, (task, cost) in enumerate([("t1", "1.111111"), ("t2", "0.505050"), (None, "0.250000"),
                                              ("t1", "0.004444")])]
    assert stack.call("POST", "/api/v1/runs/batch", {"runs": runs}, token=token).status_code == 200
    deadline = time.monotonic() + 10
    while stack.call("GET", "/api/v1/cost/summary", token=token).json()["today"]["cost_usd"] != "1.870605":
        assert time.monotonic() < deadline, "the runs were not aggregated"
        time.sleep(0.1)
    assert stack.call("POST", f"/api/v1/admin/workspaces/{workspace_id}/digest",
                      token=stack.admin_token).status_code == 200
    deadline = time.monotonic() + 10
    while True:
        messages = [m for m in stack.call("GET", "/dev/outbox").json()["messages"]
                    if any(tag in address for address in m["to"])]
        if len(messages) >= 3 or time.monotonic() > deadline:
            return token, tag, messages
        time.sleep(0.2)


def test_three_emails_whose_lines_reconcile_with_today(stack, digest_emails):
    token, tag, messages = digest_emails
    assert sorted(m["to"][0].split(".")[0] for m in messages) == ["leo", "maria", "sam"]
    digest = next(a for a in stack.call("GET", "/api/v1/alerts", token=token).json()["alerts"]
                  if a["type"] == "daily_digest")
    shares = {row["member_id"]: row["cost_usd"] for row in digest["data"]["by_assignee_today"]}
    today = stack.call("GET", "/api/v1/cost/summary", token=token).json()["today"]["cost_usd"]
    # the figures behind the lines add up, with the unassigned spend, to today's total exactly
    assert sum(Decimal(v) for v in shares.values()) + Decimal(digest["data"]["unassigned_today_usd"]) == Decimal(today)
    for message in messages:
        member = message["to"][0].split(".")[0]
        assert LINE.search(message["text"]).group(1) == dollars(shares.get(member, "0"))
    assert shares == {"maria": "1.115555", "leo": "0.505050"}


def test_html_part_renders_in_chromium(browser, digest_emails):  # noqa: F811
    _, _, messages = digest_emails
    maria = next(m for m in messages if m["to"][0].startswith("maria"))
    page = browser.new_page(viewport={"width": 700, "height": 900})
    page.set_content(maria["html"])
    assert page.locator("#contribution").inner_text() == "Your tasks contributed $1.12 to today's spend."
    assert page.locator("a", has_text="Unsubscribe").count() == 1
    assert page.evaluate("document.images.length") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(Path(ARTIFACTS) / "digest-email.png"), full_page=True)
    page.close()
    assert "Your tasks contributed $1.12" in html.unescape(maria["html"])
