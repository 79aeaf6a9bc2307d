"""Key builders: the one place that knows how items are addressed."""
from __future__ import annotations

UNASSIGNED = "~unassigned"


def workspace_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def workspace_id_of(pk: str) -> str:
    return pk.split("#", 1)[1]


# source table
def member_sk(member_id: str) -> str:
    return f"MEMBER#{member_id}"


def task_sk(task_id: str) -> str:
    return f"TASK#{task_id}"


def run_sk(run_id: str) -> str:
    return f"RUN#{run_id}"


def runs_by_time_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}#RUNS"


def runs_by_task_pk(workspace_id: str, task_id: str) -> str:
    return f"WS#{workspace_id}#TASK#{task_id}"


# state table
WORKSPACE_SK = "WORKSPACE"
TOKEN_SK = "TOKEN"


def token_pk(token_digest: str) -> str:
    return f"TOKEN#{token_digest}"


def token_meta_sk(token_id: str) -> str:
    return f"TOKEN#{token_id}"


AGG_TOTAL_SK = "AGG#TOTAL"


def agg_assignee_sk(member_id: str | None) -> str:
    return f"AGG#ASSIGNEE#{member_id or UNASSIGNED}"


def agg_task_sk(task_id: str) -> str:
    return f"AGG#TASK#{task_id}"


def agg_day_sk(day: str) -> str:
    return f"AGG#DAY#{day}"


def agg_day_task_sk(day: str, task_id: str) -> str:
    return f"AGG#DAYTASK#{day}#{task_id}"


def applied_run_sk(run_id: str) -> str:
    return f"APPLIED#RUN#{run_id}"


def parked_sk(event_id: str) -> str:
    return f"PARKED#{event_id}"


# governance
def reservation_sk(reservation_id: str) -> str:
    return f"RES#{reservation_id}"


def alert_sk(fired_at_sortable: str, alert_id: str) -> str:
    return f"ALERT#{fired_at_sortable}#{alert_id}"


def rule_guard_sk(rule: str, day: str, arm: str = "") -> str:
    """At most one alert per rule per local day (per cap value for the cap rules: raising re-arms)."""
    return f"RULE#{rule}#{day}#{arm}"


def delivery_sk(alert_id: str, channel: str, target_id: str) -> str:
    return f"DELIVERY#{alert_id}#{channel}#{target_id}"


def webhook_sk(webhook_id: str) -> str:
    return f"WEBHOOK#{webhook_id}"


def webhook_attempt_sk(webhook_id: str, at_sortable: str, message_id: str) -> str:
    return f"ATTEMPT#{webhook_id}#{at_sortable}#{message_id}"


DUE_KEY = "DUE"
PAUSED_KEY = "PAUSED"


def day_key(day: str) -> str:
    return f"DAY#{day}"


# Aggregates are read by their keys, not by copies of them in attributes: an item's key is always
# there, even in moto, which can be read half-written (key only) while an UpdateItem creates it.
def task_of_agg(sk: str) -> str:
    return sk.removeprefix("AGG#TASK#")


def day_of_agg(sk: str) -> str:
    return sk.removeprefix("AGG#DAY#")


def task_of_day_task(sk: str) -> str:
    return sk.removeprefix("AGG#DAYTASK#").split("#", 1)[1]
