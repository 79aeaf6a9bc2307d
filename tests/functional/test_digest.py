"""The daily digest email: one per member per local day, exact lines, one-click unsubscribe, SES failures."""
from __future__ import annotations

import email
import email.policy
import html
import re
import threading
from datetime import datetime, time, timedelta, timezone
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import boto3
import pytest

from chalicelib.alerts.digest import send_due_digests
from chalicelib.devstack.outbox import outbox
from chalicelib.money import format_dollars, parse_usd
from tests.conftest import run_body
from tests.streams import StreamTap, stream_event

import app as application
from tests.functional.conftest_governance import connections

pytest_plugins = ["tests.functional.conftest_governance"]

LINE = re.compile(r"Your tasks contributed (\$[\d,]+\.\d\d|<\$0\.01) to today's spend")


@pytest.fixture
def ses(store):
    client = boto3.client("ses", region_name="us-east-1")
    client.verify_email_identity(EmailAddress=store.settings.sender_email)
    return client


@pytest.fixture
def team(api, store, ses):
    """Three members with tasks, spend today on two of them and on an unassigned run."""
    for m, name in (("maria", "Maria"), ("leo", "Leo"), ("sam", "Sam")):
        body = {"name": name, "email": f"{m}@example.com", "role": "operator"}
        assert api.put(f"/api/v1/members/{m}", body).status == 201
    api.put("/api/v1/tasks/t1", {"title": "Invoices", "assignee_id": "maria", "status": "open"})
    api.put("/api/v1/tasks/t2", {"title": "Reviews", "assignee_id": "leo", "status": "closed"})
    now = datetime.now(timezone.utc)
    started = (now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tap = StreamTap(store)
    for run_id, cost, task in (("r1", "1.234567", "t1"), ("r2", "0.004999", "t2"), ("r3", "2.000001", None),
                               ("r4", "0.333333", "t1")):
        assert api.post("/api/v1/runs", run_body(run_id, cost, task, started_at=started)).status == 201
    application.aggregate_costs(stream_event(tap.take()), None)
    return api


def sent_to(address):
    return [m for m in outbox()["messages"] if address in m["to"]]


def test_each_member_gets_one_line_and_the_lines_reconcile(team, admin, workspace):
    # WHEN today's digest is sent
    workspace_id, api = workspace
    answer = admin.post(f"/api/v1/admin/workspaces/{workspace_id}/digest")
    assert answer.status == 200, answer.body
    assert sorted(answer.body["sent"]) == ["leo@example.com", "maria@example.com", "sam@example.com"]
    # THEN each email carries that member's contribution, and the figures add up exactly
    digest = next(a for a in api.get("/api/v1/alerts").body["alerts"] if a["type"] == "daily_digest")
    data = digest["data"]
    shares = {row["member_id"]: row["cost_usd"] for row in data["by_assignee_today"]}
    today = api.get("/api/v1/cost/summary").body["today"]["cost_usd"]
    assert sum(parse_usd(v) for v in shares.values()) + parse_usd(data["unassigned_today_usd"]) == parse_usd(today)
    for member in ("maria", "leo", "sam"):
        (message,) = sent_to(f"{member}@example.com")
        expected = format_dollars(parse_usd(shares.get(member, "0")))
        assert LINE.search(message["text"]).group(1) == expected
        assert LINE.search(html.unescape(message["html"])).group(1) == expected
    assert LINE.search(sent_to("sam@example.com")[0]["text"]).group(1) == "$0.00"
    assert {d["channel"] for d in digest["deliveries"]} == {"email"}
    assert all(d["status"] == "delivered" for d in digest["deliveries"])


def test_digest_step_twice_and_concurrently_sends_one_email_each(team, store, workspace, serialized_moto):
    # GIVEN six schedule invocations at once, each with its own connection (moto made request-atomic)
    workspace_id, _ = workspace
    later = datetime.now(timezone.utc).replace(hour=20, minute=30)  # 21:30 in Berlin, past the digest hour
    threads = [threading.Thread(target=send_due_digests, args=(handle, workspace_id, later))
               for handle in connections(store, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    send_due_digests(store, workspace_id, later)
    assert sorted(a for m in outbox()["messages"] for a in m["to"]) == [
        "leo@example.com", "maria@example.com", "sam@example.com"]


def test_no_digest_before_the_digest_hour(team, store, workspace):
    workspace_id, _ = workspace
    early = datetime.now(timezone.utc).replace(hour=3, minute=0)  # 04:00 in Berlin, before 18:00
    assert send_due_digests(store, workspace_id, early) == []
    assert outbox()["messages"] == []


def unsubscribe_link(message):
    return re.search(r"(http\S+/api/v1/unsubscribe\?token=\S+)", message["text"]).group(1)


def test_unsubscribe_link_works_once_and_stops_tomorrows_email(team, admin, workspace, store, chalice_client):
    workspace_id, api = workspace
    admin.post(f"/api/v1/admin/workspaces/{workspace_id}/digest")
    (message,) = sent_to("leo@example.com")
    token = parse_qs(urlsplit(unsubscribe_link(message)).query)["token"][0]
    # WHEN the one-click POST is made
    answer = api.post(f"/api/v1/unsubscribe?token={token}", token="")
    assert answer.status == 200 and answer.body == {"member_id": "leo", "digest": False}
    assert {m["member_id"]: m["digest"] for m in api.get("/api/v1/members").body["members"]}["leo"] is False
    # THEN it is refused a second time
    assert api.post(f"/api/v1/unsubscribe?token={token}", token="").body["error"]["code"] == "unsubscribe_link_used"
    # and tomorrow's digest goes to the other two only
    berlin = ZoneInfo("Europe/Berlin")
    tomorrow_evening = datetime.combine(datetime.now(berlin).date() + timedelta(days=1), time(20), berlin)
    send_due_digests(store, workspace_id, tomorrow_evening.astimezone(timezone.utc))
    assert len(sent_to("leo@example.com")) == 1
    assert len(sent_to("maria@example.com")) == 2


def test_tampered_unsubscribe_link_is_refused(team, admin, workspace):
    workspace_id, api = workspace
    admin.post(f"/api/v1/admin/workspaces/{workspace_id}/digest")
    token = parse_qs(urlsplit(unsubscribe_link(sent_to("leo@example.com")[0])).query)["token"][0]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    answer = api.post(f"/api/v1/unsubscribe?token={forged}", token="")
    assert answer.status == 400 and answer.body["error"]["code"] == "invalid_unsubscribe_link"
    assert all(m["digest"] for m in api.get("/api/v1/members").body["members"])


def test_email_headers_offer_one_click_unsubscribe(team, admin, workspace):
    from chalicelib.devstack.outbox import outbox as read

    workspace_id, _ = workspace
    admin.post(f"/api/v1/admin/workspaces/{workspace_id}/digest")
    from moto.ses.models import ses_backends

    raw = [m.raw_data for r in dict.values(ses_backends) for b in dict.values(r) for m in b.sent_messages]
    parsed = [email.message_from_string(r, policy=email.policy.default) for r in raw]
    assert parsed and all(str(m["List-Unsubscribe"]).startswith("<http") and
                          m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in parsed)
    assert all(m["text"] and m["html"] for m in read()["messages"])


def test_ses_rejection_is_recorded_and_not_retried(team, admin, workspace, store, ses):
    # GIVEN the sender identity is no longer verified (SES answers MessageRejected)
    workspace_id, api = workspace
    ses.delete_identity(Identity=store.settings.sender_email)
    admin.post(f"/api/v1/admin/workspaces/{workspace_id}/digest")
    digest = next(a for a in api.get("/api/v1/alerts").body["alerts"] if a["type"] == "daily_digest")
    assert {d["status"] for d in digest["deliveries"]} == {"failed"}
    assert all("MessageRejected" in d["last_error"] and d["attempts"] == 1 for d in digest["deliveries"])
    # WHEN the schedule runs again later THEN nothing is retried
    from chalicelib.alerts.deliveries import work_due

    assert work_due(store, datetime.now(timezone.utc) + timedelta(hours=3)) == 0


def test_ses_throttling_backs_off_and_retries_later(team, admin, workspace, store):
    from botocore.exceptions import ClientError

    from chalicelib.alerts.deliveries import work_due
    from chalicelib.alerts.digest import _ses

    workspace_id, api = workspace
    client = _ses(store)
    throttled = {"left": 3}

    def throttle(**_):
        if throttled["left"]:
            throttled["left"] -= 1
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}},
                              "SendRawEmail")

    client.meta.events.register("before-call.ses.SendRawEmail", throttle)
    try:
        admin.post(f"/api/v1/admin/workspaces/{workspace_id}/digest")
        digest = next(a for a in api.get("/api/v1/alerts").body["alerts"] if a["type"] == "daily_digest")
        assert {d["status"] for d in digest["deliveries"]} == {"pending"}
        assert all("throttled" in d["last_error"] for d in digest["deliveries"])
        assert work_due(store, datetime.now(timezone.utc)) == 0  # not due yet: backing off
        assert work_due(store, datetime.now(timezone.utc) + timedelta(minutes=5)) == 3
    finally:
        client.meta.events.unregister("before-call.ses.SendRawEmail", throttle)
    digest = next(a for a in api.get("/api/v1/alerts").body["alerts"] if a["type"] == "daily_digest")
    assert {d["status"] for d in digest["deliveries"]} == {"delivered"}
    assert len(outbox()["messages"]) == 3


def test_the_link_opened_in_a_browser_shows_a_page(team, admin, workspace, chalice_client):
    workspace_id, api = workspace
    admin.post(f"/api/v1/admin/workspaces/{workspace_id}/digest")
    link = unsubscribe_link(sent_to("sam@example.com")[0])
    response = chalice_client.http.get(link[link.index("/api/v1/"):])
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert b"You are unsubscribed" in response.body
    assert {m["member_id"]: m["digest"] for m in api.get("/api/v1/members").body["members"]}["sam"] is False
