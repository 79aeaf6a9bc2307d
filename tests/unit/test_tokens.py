"""Token format and checksum, checked with no I/O."""
from __future__ import annotations

import pytest

from chalicelib import auth
from chalicelib.errors import Unauthorized


def test_new_token_is_well_formed():
    token = auth.new_token()
    assert token.startswith("ldk_") and auth.is_well_formed(token, "ldk")
    assert not auth.is_well_formed(token, "ldkop")


def test_any_changed_character_breaks_the_checksum():
    token = auth.new_token()
    body_start = len("ldk_")
    for index in range(body_start, body_start + 40, 7):
        swapped = "B" if token[index] != "B" else "C"
        assert not auth.is_well_formed(token[:index] + swapped + token[index + 1:], "ldk")


def test_digest_is_sha256_hex():
    assert len(auth.digest("ldk_x")) == 64


@pytest.mark.parametrize("headers,code", [({}, "missing_token"), ({"Authorization": "Basic abc"}, "invalid_token"),
                                          ({"authorization": "Bearer "}, "invalid_token")])
def test_bearer_header_errors(headers, code):
    with pytest.raises(Unauthorized) as caught:
        auth.bearer_token(headers)
    assert caught.value.code == code


def test_missing_scope_is_403():
    principal = auth.Principal("ws", "tok", frozenset({"cost:read"}))
    principal.require("cost:read")
    with pytest.raises(Exception) as caught:
        principal.require("runs:write")
    assert caught.value.STATUS_CODE == 403
