"""Teammates of a workspace (the assignees of tasks and the recipients of digests)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import models, timeutil
from chalicelib.store import keys
from chalicelib.store.db import Store, plain, query_all


def put_member(store: Store, workspace_id: str, member_id: str, body: models.MemberPut,
               now: datetime) -> tuple[models.Member, bool]:
    """Create or replace a member; True when it is new."""
    item = {
        "pk": keys.workspace_pk(workspace_id),
        "sk": keys.member_sk(member_id),
        "entity": "member",
        "workspace_id": workspace_id,
        "member_id": member_id,
        "name": body.name,
        "email": body.email,
        "role": body.role,
        "digest": body.digest,
        "updated_at": timeutil.format_instant(now),
    }
    old = store.source.put_item(Item=item, ReturnValues="ALL_OLD").get("Attributes")
    return to_member(item), old is None


def to_member(item: dict[str, Any]) -> models.Member:
    return models.Member(member_id=item["member_id"], name=item["name"], email=item["email"],
                         role=item["role"], digest=bool(item.get("digest", True)))


def get_member_item(store: Store, workspace_id: str, member_id: str) -> dict[str, Any] | None:
    item = store.source.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.member_sk(member_id)},
                                 ConsistentRead=True).get("Item")
    return plain(item) if item else None


def list_member_items(store: Store, workspace_id: str) -> list[dict[str, Any]]:
    """Every member of the workspace (grows with the team, never with runs)."""
    return query_all(store.source, keys.workspace_pk(workspace_id), "MEMBER#")


def list_members(store: Store, workspace_id: str) -> models.MemberList:
    items = sorted(list_member_items(store, workspace_id), key=lambda i: i["member_id"])
    return models.MemberList(members=[to_member(i) for i in items])


def set_digest(store: Store, workspace_id: str, member_id: str, enabled: bool) -> None:
    store.source.update_item(
        Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.member_sk(member_id)},
        UpdateExpression="SET digest = :d", ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":d": enabled})
