"""Workspaces and their tokens (the operator's side) and workspace settings (the owner's side)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib import auth, models, timeutil
from chalicelib.errors import NotFound, Unauthorized
from chalicelib.ingest.ids import new_id
from chalicelib.store import keys
from chalicelib.store.db import Store, plain

DEFAULT_SPIKE_MULTIPLIER = Decimal("2.0")
DEFAULT_SPIKE_MIN_MICROS = 1_000_000
DEFAULT_DIGEST_HOUR = 18


def create_workspace(store: Store, request: models.WorkspaceCreate, now: datetime) -> models.WorkspaceCreated:
    """A new workspace and its first token, which carries every scope."""
    workspace_id = new_id("ws", 16)
    item: dict[str, Any] = {
        "pk": keys.workspace_pk(workspace_id),
        "sk": keys.WORKSPACE_SK,
        "workspace_id": workspace_id,
        "name": request.name,
        "timezone": request.timezone,
        "status": "active",
        "spike_multiplier": DEFAULT_SPIKE_MULTIPLIER,
        "spike_min_micros": DEFAULT_SPIKE_MIN_MICROS,
        "digest_hour": DEFAULT_DIGEST_HOUR,
        "created_at": timeutil.format_instant(now),
    }
    if request.daily_cap_usd is not None:
        item["daily_cap_micros"] = request.daily_cap_usd
    store.state.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    token_id, token = _issue_token(store, workspace_id, list(auth.SCOPES), "first token", now)
    return models.WorkspaceCreated(workspace_id=workspace_id, token=token)


def create_token(store: Store, workspace_id: str, request: models.TokenCreate, now: datetime) -> models.TokenCreated:
    load_workspace_item(store, workspace_id)
    token_id, token = _issue_token(store, workspace_id, sorted(set(request.scopes)), request.label, now)
    return models.TokenCreated(token_id=token_id, token=token)


def _issue_token(store: Store, workspace_id: str, scopes: list[str], label: str, now: datetime) -> tuple[str, str]:
    token = auth.new_token()
    token_id = new_id("tok", 16)
    token_digest = auth.digest(token)
    record = {"workspace_id": workspace_id, "token_id": token_id, "scopes": scopes, "label": label,
              "created_at": timeutil.format_instant(now), "revoked": False}
    store.transact([
        {"Put": {"TableName": store.settings.state_table,
                 "Item": {"pk": keys.token_pk(token_digest), "sk": keys.TOKEN_SK, **record},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": store.settings.state_table,
                 "Item": {"pk": keys.workspace_pk(workspace_id), "sk": keys.token_meta_sk(token_id),
                          "digest": token_digest, **record},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ])
    return token_id, token


def revoke_token(store: Store, workspace_id: str, token_id: str) -> None:
    """From now on the token answers 401. Revoking twice is fine; an unknown token is 404."""
    meta = store.state.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.token_meta_sk(token_id)},
                                ConsistentRead=True).get("Item")
    if meta is None:
        raise NotFound("No such token in this workspace.", code="token_not_found")
    for key in ({"pk": keys.token_pk(meta["digest"]), "sk": keys.TOKEN_SK},
                {"pk": keys.workspace_pk(workspace_id), "sk": keys.token_meta_sk(token_id)}):
        store.state.update_item(Key=key, UpdateExpression="SET revoked = :t", ExpressionAttributeValues={":t": True})


def authenticate(store: Store, headers: dict[str, str] | None) -> auth.Principal:
    """The workspace and scopes of a bearer token; format and checksum are checked before any read."""
    token = auth.bearer_token(headers)
    if not auth.is_well_formed(token, auth.WORKSPACE_PREFIX):
        raise Unauthorized("The token is malformed or its checksum does not match.", code="invalid_token")
    record = store.state.get_item(Key={"pk": keys.token_pk(auth.digest(token)), "sk": keys.TOKEN_SK},
                                  ConsistentRead=True).get("Item")
    if record is None:
        raise Unauthorized("Unknown token.", code="invalid_token")
    if record.get("revoked"):
        raise Unauthorized("This token has been revoked.", code="revoked_token")
    return auth.Principal(workspace_id=record["workspace_id"], token_id=record["token_id"],
                          scopes=frozenset(record["scopes"]))


def load_workspace_item(store: Store, workspace_id: str) -> dict[str, Any]:
    item = store.state.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.WORKSPACE_SK},
                                ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound("No such workspace.", code="workspace_not_found")
    return plain(item)


def to_workspace(item: dict[str, Any]) -> models.Workspace:
    return models.Workspace(
        workspace_id=item["workspace_id"],
        name=item["name"],
        timezone=item["timezone"],
        status=item.get("status", "active"),
        paused_reason=item.get("paused_reason"),
        daily_cap_usd=item.get("daily_cap_micros"),
        spike_multiplier=float(item.get("spike_multiplier", DEFAULT_SPIKE_MULTIPLIER)),
        spike_min_usd=item.get("spike_min_micros", DEFAULT_SPIKE_MIN_MICROS),
        digest_hour=item.get("digest_hour", DEFAULT_DIGEST_HOUR),
        slack_configured=bool(item.get("slack_webhook_url")),
        slack_broken=bool(item.get("slack_broken")),
    )


def get_workspace(store: Store, workspace_id: str) -> models.Workspace:
    return to_workspace(load_workspace_item(store, workspace_id))


_PATCH_ATTRIBUTES = {
    "name": "name",
    "timezone": "timezone",
    "daily_cap_usd": "daily_cap_micros",
    "spike_multiplier": "spike_multiplier",
    "spike_min_usd": "spike_min_micros",
    "digest_hour": "digest_hour",
    "slack_webhook_url": "slack_webhook_url",
}


def patch_workspace(store: Store, workspace_id: str, patch: models.WorkspacePatch) -> models.Workspace:
    """Apply the fields that were sent; `null` clears the cap or the Slack URL."""
    if patch.slack_webhook_url is not None:
        from chalicelib.alerts.targets import check_target

        check_target(patch.slack_webhook_url, allow_private=store.settings.allow_private_urls)
    sets, removes, values, names = [], [], {}, {}
    for field in sorted(patch.model_fields_set):
        attribute = _PATCH_ATTRIBUTES[field]
        value = getattr(patch, field)
        names[f"#{attribute}"] = attribute
        if value is None:
            removes.append(f"#{attribute}")
            continue
        if field == "spike_multiplier":
            value = Decimal(str(value))
        sets.append(f"#{attribute} = :{attribute}")
        values[f":{attribute}"] = value
    if "slack_webhook_url" in patch.model_fields_set:
        names["#slack_broken"] = "slack_broken"
        removes.append("#slack_broken")
    expression = ""
    if sets:
        expression += "SET " + ", ".join(sets)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    kwargs: dict[str, Any] = {"ExpressionAttributeNames": names}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    try:
        answer = store.state.update_item(
            Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.WORKSPACE_SK},
            UpdateExpression=expression.strip(),
            ConditionExpression="attribute_exists(pk)",
            ReturnValues="ALL_NEW",
            **kwargs,
        )
    except store.client.exceptions.ConditionalCheckFailedException:
        raise NotFound("No such workspace.", code="workspace_not_found") from None
    return to_workspace(plain(answer["Attributes"]))
