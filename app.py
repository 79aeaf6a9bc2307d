"""Loop Desk Cost: routes and event handlers only. Each parses, calls one chalicelib function, answers."""
from __future__ import annotations

from chalice import Chalice

from chalicelib import models
from chalicelib.config import Settings, source_stream_arn
from chalicelib.http import Api, unsubscribed_page, reshape_framework_error
from chalicelib.alerts import digest, governance, webhooks
from chalicelib.ingest import admission, members, runs, tasks, workspaces
from chalicelib.reports import breakdown, summary
from chalicelib.reports import tasks as task_reports
from chalicelib.store.db import Store, connect
from chalicelib.timeutil import now_utc

app = Chalice(app_name="loopdesk-cost")
_store: Store | None = None


def get_store() -> Store:
    """The tables, connected on first use (never at import: cold start, and moto in tests)."""
    global _store
    if _store is None:
        _store = connect(Settings.from_env())
    return _store


def reset_store(store: Store | None = None) -> None:
    """Tests and the local stack point the app at their own tables."""
    global _store
    _store = store


api = Api(app, get_store, workspaces.authenticate)


@app.middleware("http")
def contract_errors(event, get_response):
    return reshape_framework_error(get_response(event))


# --- admin (the operator) ---------------------------------------------------------------------


@app.route("/api/v1/admin/workspaces", methods=["POST"])
@api.endpoint("Create a workspace and its first token", admin=True, body=models.WorkspaceCreate,
              response=models.WorkspaceCreated, status=201)
def create_workspace(body):
    return workspaces.create_workspace(get_store(), body, now_utc())


@app.route("/api/v1/admin/workspaces/{workspace_id}/tokens", methods=["POST"])
@api.endpoint("Issue a token", admin=True, body=models.TokenCreate, response=models.TokenCreated, status=201)
def create_token(workspace_id, body):
    return workspaces.create_token(get_store(), workspace_id, body, now_utc())


@app.route("/api/v1/admin/workspaces/{workspace_id}/tokens/{token_id}", methods=["DELETE"])
@api.endpoint("Revoke a token", admin=True, status=204)
def revoke_token(workspace_id, token_id):
    workspaces.revoke_token(get_store(), workspace_id, token_id)


@app.route("/api/v1/admin/tick", methods=["POST"])
@api.endpoint("Run the scheduled governance check now", admin=True, body=models.TickRequest,
              response=models.TickResult)
def admin_tick(body):
    if body.workspace_id:
        workspaces.load_workspace_item(get_store(), body.workspace_id)
    return governance.run_tick(get_store(), now_utc(), body.workspace_id)


@app.route("/api/v1/admin/workspaces/{workspace_id}/digest", methods=["POST"])
@api.endpoint("Send today's digest now", admin=True, response=models.DigestSent)
def admin_digest(workspace_id):
    return digest.send_digest_now(get_store(), workspace_id, now_utc())


# --- workspace, members, tasks ----------------------------------------------------------------


@app.route("/api/v1/workspace", methods=["GET"])
@api.endpoint("The workspace and its settings", scope="cost:read", response=models.Workspace)
def get_workspace(principal):
    return workspaces.get_workspace(get_store(), principal.workspace_id)


@app.route("/api/v1/workspace", methods=["PATCH"])
@api.endpoint("Change workspace settings", scope="settings:write", body=models.WorkspacePatch,
              response=models.Workspace)
def patch_workspace(principal, body):
    return governance.patch_settings(get_store(), principal.workspace_id, body, now_utc())


@app.route("/api/v1/workspace/resume", methods=["POST"])
@api.endpoint("Resume a paused desk", scope="settings:write", response=models.Workspace)
def resume_workspace(principal):
    return governance.resume_by_hand(get_store(), principal.workspace_id, now_utc())


@app.route("/api/v1/members/{member_id}", methods=["PUT"])
@api.endpoint("Create or replace a member", scope="runs:write", body=models.MemberPut, response=models.Member)
def put_member(principal, member_id, body):
    member, created = members.put_member(get_store(), principal.workspace_id, member_id, body, now_utc())
    return member, 201 if created else 200


@app.route("/api/v1/members", methods=["GET"])
@api.endpoint("List members", scope="cost:read", response=models.MemberList)
def list_members(principal):
    return members.list_members(get_store(), principal.workspace_id)


@app.route("/api/v1/tasks/{task_id}", methods=["PUT"])
@api.endpoint("Create or replace a task", scope="runs:write", body=models.TaskPut, response=models.Task)
def put_task(principal, task_id, body):
    created = tasks.put_task(get_store(), principal.workspace_id, task_id, body, now_utc())
    return task_reports.task_with_totals(get_store(), principal.workspace_id, task_id), 201 if created else 200


@app.route("/api/v1/tasks/{task_id}", methods=["GET"])
@api.endpoint("A task with its totals", scope="cost:read", response=models.Task)
def get_task(principal, task_id):
    return task_reports.task_with_totals(get_store(), principal.workspace_id, task_id)


# --- runs -------------------------------------------------------------------------------------


@app.route("/api/v1/runs", methods=["POST"])
@api.endpoint("Record a run (idempotent by run_id)", scope="runs:write", body=models.RunPost,
              response=models.Run, status=201)
def post_run(principal, body):
    return runs.record_run(get_store(), principal.workspace_id, body, now_utc())


@app.route("/api/v1/runs/admit", methods=["POST"])
@api.endpoint("Reserve an estimate under today's cap", scope="runs:write", body=models.AdmitRequest,
              response=models.Admission)
def admit_run(principal, body):
    return admission.admit(get_store(), principal.workspace_id, body, now_utc())


@app.route("/api/v1/runs/batch", methods=["POST"])
@api.endpoint("Record up to 100 runs", scope="runs:write", body=models.RunBatch, response=models.RunBatchResult)
def post_runs_batch(principal, body):
    return runs.record_batch(get_store(), principal.workspace_id, body.runs, now_utc())


@app.route("/api/v1/runs", methods=["GET"])
@api.endpoint("Runs, newest first (the per-cycle drill-down)", scope="cost:read", query=models.RunQuery,
              response=models.RunPage)
def list_runs(principal, query):
    return runs.list_runs(get_store(), principal.workspace_id, task_id=query.task_id, since=query.since,
                          until=query.until, limit=query.limit, cursor=query.cursor)


@app.route("/api/v1/runs/{run_id}", methods=["GET"])
@api.endpoint("One run", scope="cost:read", response=models.Run)
def get_run(principal, run_id):
    return runs.get_run(get_store(), principal.workspace_id, run_id)


# --- cost: the four axes ----------------------------------------------------------------------


@app.route("/api/v1/cost/by-assignee", methods=["GET"])
@api.endpoint("Cumulative spend by each task's current assignee", scope="cost:read",
              response=models.CostByAssignee)
def cost_by_assignee(principal):
    return breakdown.cost_by_assignee(get_store(), principal.workspace_id, now_utc())


@app.route("/api/v1/tasks/top-cost", methods=["GET"])
@api.endpoint("The costliest tasks", scope="cost:read", query=models.TopCostQuery, response=models.TopCostTasks)
def top_cost_tasks(principal, query):
    return breakdown.top_cost_tasks(get_store(), principal.workspace_id, query.limit, query.status)


@app.route("/api/v1/cost/summary", methods=["GET"])
@api.endpoint("The workspace over time, with the cap", scope="cost:read", response=models.CostSummary)
def cost_summary(principal):
    return summary.cost_summary(get_store(), principal.workspace_id, now_utc())


# --- alerts and webhooks ----------------------------------------------------------------------


@app.route("/api/v1/alerts", methods=["GET"])
@api.endpoint("Alerts with their deliveries (the audit trail)", scope="cost:read", query=models.AlertQuery,
              response=models.AlertPage)
def list_alerts(principal, query):
    return governance.alert_page(get_store(), principal.workspace_id, query.limit, query.cursor)


@app.route("/api/v1/webhooks", methods=["POST"])
@api.endpoint("Register a webhook endpoint", scope="settings:write", body=models.WebhookCreate,
              response=models.WebhookCreated, status=201)
def create_webhook(principal, body):
    return webhooks.register(get_store(), principal.workspace_id, body, now_utc())


@app.route("/api/v1/webhooks", methods=["GET"])
@api.endpoint("List webhook endpoints", scope="cost:read", response=models.WebhookList)
def list_webhooks(principal):
    return models.WebhookList(webhooks=[webhooks.to_public(w) for w in
                                        webhooks.list_endpoints(get_store(), principal.workspace_id)])


@app.route("/api/v1/webhooks/{webhook_id}", methods=["DELETE"])
@api.endpoint("Remove a webhook endpoint", scope="settings:write", status=204)
def delete_webhook(principal, webhook_id):
    webhooks.remove(get_store(), principal.workspace_id, webhook_id)


@app.route("/api/v1/webhooks/{webhook_id}/deliveries", methods=["GET"])
@api.endpoint("An endpoint's delivery log, newest first", scope="cost:read", response=models.WebhookDeliveries)
def webhook_deliveries(principal, webhook_id):
    return webhooks.delivery_log(get_store(), principal.workspace_id, webhook_id)


@app.route("/api/v1/webhooks/{webhook_id}/test", methods=["POST"])
@api.endpoint("Send a signed test event now", scope="settings:write", response=models.WebhookTestResult)
def test_webhook(principal, webhook_id):
    return governance.ping_webhook(get_store(), principal.workspace_id, webhook_id, now_utc())


@app.route("/api/v1/unsubscribe", methods=["POST"])
@api.endpoint("One-click digest unsubscribe (the signed link is the credential)", query=models.UnsubscribeQuery,
              response=models.Unsubscribed)
def unsubscribe_one_click(query):
    return digest.unsubscribe(get_store(), query.token, now_utc())


@app.route("/api/v1/unsubscribe", methods=["GET"])
@api.endpoint("Digest unsubscribe link, for people", query=models.UnsubscribeQuery)
def unsubscribe_page(query):
    digest.unsubscribe(get_store(), query.token, now_utc())
    return unsubscribed_page()


# --- the dashboard ----------------------------------------------------------------------------


@app.route("/dashboard", methods=["GET"])
def dashboard():
    from chalicelib.http import dashboard_page

    return dashboard_page()


# --- the contract, by machine -----------------------------------------------------------------


@app.route("/api/v1/openapi.json", methods=["GET"])
def openapi():
    from chalicelib.openapi import openapi_document

    return openapi_document(app)


# --- events -----------------------------------------------------------------------------------


@app.on_dynamodb_record(stream_arn=source_stream_arn(), batch_size=100, starting_position="TRIM_HORIZON",
                        name="aggregate_costs")
def aggregate_costs(event):
    """The source table's stream: keep every cost aggregate exact. Bad records are parked, not raised."""
    from chalicelib.aggregation.handler import handle_stream_event

    return handle_stream_event(get_store(), event.to_dict()).as_lambda_response()


@app.schedule("rate(5 minutes)", name="governance_tick")
def governance_tick(event):
    """The scheduled governance check (cap, spike, resumes, deliveries, digests)."""
    from chalicelib.alerts.governance import run_tick

    return run_tick(get_store(), now_utc()).model_dump(mode="json")
