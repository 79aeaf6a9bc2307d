"""The digest email of one recipient, as plain text and as HTML (readable without images)."""
from __future__ import annotations

from html import escape
from typing import Any

from chalicelib.money import format_dollars, parse_usd


def _d(value: str | None) -> str:
    return format_dollars(parse_usd(value or "0"))


def contribution(data: dict[str, Any], member_id: str) -> str:
    """This recipient's share of today's spend (0 when none of their tasks ran today)."""
    for row in data.get("by_assignee_today", []):
        if row["member_id"] == member_id:
            return row["cost_usd"]
    return "0.000000"


def _cap_line(cap: dict[str, Any]) -> str:
    if cap.get("state") == "none":
        return "No daily cap is set."
    return (f"Daily cap {_d(cap['daily_cap_usd'])}: {cap['used_percent']}% used ({cap['state']}).")


def render_digest(data: dict[str, Any], member_id: str, name: str, link: str) -> tuple[str, str, str]:
    mine = _d(contribution(data, member_id))
    workspace = data["workspace_name"]
    line = f"Your tasks contributed {mine} to today's spend"
    subject = f"{workspace}: your tasks contributed {mine} to today's spend"
    tasks = data.get("top_tasks", [])
    text = [f"Hi {name or 'there'},", "", f"{line}.", "",
            f"{workspace} today: {_d(data['today_usd'])} (yesterday {_d(data['yesterday_usd'])}).",
            _cap_line(data["cap"]), ""]
    if tasks:
        text.append("Top open tasks:")
        text += [f"  - {t.get('title') or t['task_id']}: {_d(t['cost_usd'])}"
                 + (f" ({t['assignee']['name']})" if t.get("assignee") else "") for t in tasks]
        text.append("")
    if data.get("alerts_today"):
        text.append("Today's alerts:")
        text += [f"  - {a}" for a in data["alerts_today"]]
        text.append("")
    text += [f"Unsubscribe from this digest: {link}"]
    rows = "".join(
        f"<tr><td style='padding:4px 8px'>{escape(t.get('title') or t['task_id'])}</td>"
        f"<td style='padding:4px 8px'>{escape(t['assignee']['name']) if t.get('assignee') else 'unassigned'}</td>"
        f"<td style='padding:4px 8px;text-align:right'>{_d(t['cost_usd'])}</td></tr>" for t in tasks)
    alerts = "".join(f"<li>{escape(a)}</li>" for a in data.get("alerts_today", []))
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(subject)}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#1b1b1b;max-width:600px;margin:0 auto;padding:16px">
<h1 style="font-size:20px">{escape(workspace)}: daily cost digest</h1>
<p>Hi {escape(name or 'there')},</p>
<p id="contribution" style="font-size:18px"><strong>{escape(line)}</strong>.</p>
<p>Today: <strong>{_d(data['today_usd'])}</strong> &middot; yesterday {_d(data['yesterday_usd'])}</p>
<p>{escape(_cap_line(data['cap']))}</p>
{"<h2 style='font-size:16px'>Top open tasks</h2><table style='border-collapse:collapse'>"
 "<tr><th style='text-align:left;padding:4px 8px'>Task</th><th style='text-align:left;padding:4px 8px'>Assignee</th>"
 "<th style='text-align:right;padding:4px 8px'>Cost</th></tr>" + rows + "</table>" if tasks else ""}
{"<h2 style='font-size:16px'>Today's alerts</h2><ul>" + alerts + "</ul>" if alerts else ""}
<p style="font-size:12px;color:#555"><a href="{escape(link)}">Unsubscribe from this digest</a></p>
</body></html>"""
    return subject, "\n".join(text), html
