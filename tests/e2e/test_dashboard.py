"""The dashboard in real headless Chromium against the running stack."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def money(value: str) -> str:
    whole, frac = value.split(".")
    micros = int(whole) * 1_000_000 + int(frac)
    if 0 < micros < 10_000:
        return "<$0.01"
    cents = (micros + 5_000) // 10_000
    return f"${cents // 100:,}.{cents % 100:02d}"


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is required (make test installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"])
        yield browser
        browser.close()


def open_dashboard(browser, stack, token, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{stack.api_url}/dashboard#token={token}")
    return page


def test_by_assignee_rows_equal_the_api(browser, stack):
    # GIVEN the demo workspace WHEN its dashboard opens
    page = open_dashboard(browser, stack, stack.token)
    rows = page.locator("#by-assignee tr")
    expect(rows.first).to_be_visible(timeout=15000)
    api = stack.call("GET", "/api/v1/cost/by-assignee").json()
    # THEN every row on screen is the API's row: name, dollars, percent, and unassigned last
    expected = [(a["name"], money(a["cost_usd"]), f"{a['percent']:.1f}%") for a in api["assignees"]]
    expected.append(("Unassigned", money(api["unassigned"]["cost_usd"]), f"{api['unassigned']['percent']:.1f}%"))
    seen = [(r.locator(".name div").first.inner_text(), r.locator(".cost").inner_text(),
             r.locator(".percent").inner_text()) for r in rows.all()]
    assert seen == expected
    assert not api["solo"] and page.locator("#panel-by-assignee").is_visible()
    # and the token left the address bar
    assert "token=" not in page.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-1280.png"), full_page=True)
    page.close()


def test_clicking_a_task_shows_its_runs(browser, stack):
    page = open_dashboard(browser, stack, stack.token)
    first = page.locator("#top-tasks tr.task").first
    expect(first).to_be_visible(timeout=15000)
    task_id = first.get_attribute("data-task-id")
    first.click()
    expect(page.locator("#runs-panel")).to_be_visible()
    api = stack.call("GET", f"/api/v1/runs?limit=50&task_id={task_id}").json()
    shown = [r.get_attribute("data-run-id") for r in page.locator("#runs tr").all()]
    assert shown == [r["run_id"] for r in api["runs"]] and shown
    page.close()


def test_keyboard_opens_runs(browser, stack):
    page = open_dashboard(browser, stack, stack.token)
    first = page.locator("#top-tasks tr.task").first
    expect(first).to_be_visible(timeout=15000)
    first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#runs-panel")).to_be_visible()
    page.close()


def test_panel_hidden_for_a_solo_workspace(browser, stack, new_workspace):
    # GIVEN a workspace where one teammate holds every task
    _, token = new_workspace
    stack.call("PUT", "/api/v1/members/solo", {"name": "Solo", "email": "s@example.com", "role": "owner"}, token=token)
    stack.call("PUT", "/api/v1/tasks/t1", {"title": "Only", "assignee_id": "solo", "status": "open"}, token=token)
    assert stack.call("GET", "/api/v1/cost/by-assignee", token=token).json()["solo"] is True
    page = open_dashboard(browser, stack, token)
    expect(page.locator("#panel-top-tasks")).to_be_visible(timeout=15000)
    # THEN the by-assignee panel is hidden
    expect(page.locator("#panel-by-assignee")).to_be_hidden()
    page.close()


def test_narrow_screen(browser, stack):
    page = open_dashboard(browser, stack, stack.token, width=360)
    expect(page.locator("#by-assignee tr").first).to_be_visible(timeout=15000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-360.png"), full_page=True)
    page.close()


def test_bad_token_shows_a_clear_message(browser, stack):
    page = open_dashboard(browser, stack, "ldk_" + "A" * 40 + "_AAAAAA")
    message = page.locator("#message")
    expect(message).to_be_visible(timeout=15000)
    assert "not accepted" in message.inner_text()
    expect(page.locator("#login")).to_be_visible()
    page.close()


def test_login_form_takes_a_token(browser, stack):
    page = browser.new_page()
    page.goto(f"{stack.api_url}/dashboard")
    page.fill("#token-input", stack.token)
    page.keyboard.press("Enter")
    expect(page.locator("#fig-today")).not_to_have_text("–", timeout=15000)
    summary = stack.call("GET", "/api/v1/cost/summary").json()
    assert page.locator("#fig-today").inner_text() == money(summary["today"]["cost_usd"])
    page.close()


def test_api_down_shows_a_message(browser, stack):
    page = open_dashboard(browser, stack, stack.token)
    expect(page.locator("#by-assignee tr").first).to_be_visible(timeout=15000)
    page.route("**/api/v1/**", lambda route: route.abort())
    page.evaluate("refresh()")
    expect(page.locator("#message")).to_contain_text("cannot be reached", timeout=10000)
    page.close()
