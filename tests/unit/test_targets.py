"""Outbound URL safety (contract §7, §8): https to public addresses only; never metadata or link-local."""
from __future__ import annotations

import pytest

from chalicelib.alerts.targets import UnsafeTarget, check_target

PUBLIC = "93.184.215.14"

REFUSED_IN_DEPLOYED_STAGES = [
    "http://hooks.example.com/x",          # plain http
    "https://127.0.0.1/x",
    "https://10.0.0.1/x",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/x",
    "https://[fd00:ec2::254]/x",
    "https://[::ffff:10.0.0.1]/x",         # IPv4-mapped IPv6
    "https://100.64.0.1/x",                # carrier-grade NAT: neither private nor global to Python
    "https://0.0.0.0/x",
    "https://2130706433/x",                # 127.0.0.1 as one decimal number
    "https://0177.0.0.1/x",                # 127.0.0.1 in octal
    "https://0x7f.0.0.1/x",                # ... in hex
    "https://127.1/x",                     # ... shortened
    "https://localhost/x",                 # a name that resolves to loopback
    "https://[64:ff9b::a00:1]/x",          # NAT64 of 10.0.0.1
    "https://[2002:a9fe:a9fe::1]/x",       # 6to4 of 169.254.169.254
]


def public_dns(host: str, port: int) -> list[str]:
    return [PUBLIC]


@pytest.mark.parametrize("url", REFUSED_IN_DEPLOYED_STAGES)
def test_unsafe_target_is_refused(url):
    # GIVEN a deployed stage (no private URLs)
    # WHEN the URL is checked
    with pytest.raises(UnsafeTarget) as refused:
        check_target(url, allow_private=False)
    # THEN it is refused as unsafe
    assert refused.value.code == "unsafe_url"


def test_hostname_that_resolves_to_a_private_address_is_refused():
    # GIVEN a name whose DNS answer is a private address
    def private_dns(host: str, port: int) -> list[str]:
        return ["10.1.2.3"]

    # WHEN it is checked
    with pytest.raises(UnsafeTarget) as refused:
        check_target("https://hooks.example.com/x", allow_private=False, resolve=private_dns)
    # THEN it is refused, and the resolved address is named
    assert refused.value.code == "unsafe_url"
    assert "10.1.2.3" in refused.value.message


def test_hostname_with_one_private_answer_among_public_ones_is_refused():
    # GIVEN a name that answers a public and a private address (the connection could use either)
    def mixed_dns(host: str, port: int) -> list[str]:
        return [PUBLIC, "192.168.1.10"]

    # WHEN it is checked
    with pytest.raises(UnsafeTarget) as refused:
        check_target("https://hooks.example.com/x", allow_private=False, resolve=mixed_dns)
    # THEN it is refused
    assert refused.value.code == "unsafe_url"


def test_https_to_a_public_address_is_pinned_to_that_address():
    # GIVEN a name that resolves publicly
    # WHEN it is checked
    target = check_target("https://hooks.example.com:8443/services/T1?x=1", allow_private=False, resolve=public_dns)
    # THEN it is accepted, to be called at the checked address (no second lookup at connect time)
    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.example.com", 8443,
                                                                      "/services/T1?x=1")
    assert target.addresses == (PUBLIC,)


def test_unresolvable_host_is_refused():
    # GIVEN a name with no DNS answer
    def no_dns(host: str, port: int) -> list[str]:
        return []

    # WHEN it is checked
    with pytest.raises(UnsafeTarget) as refused:
        check_target("https://nowhere.example.com/x", allow_private=False, resolve=no_dns)
    # THEN it is refused as unresolvable
    assert refused.value.code == "unresolvable_url"


def test_url_with_credentials_is_refused():
    with pytest.raises(UnsafeTarget) as refused:
        check_target("https://user:pw@hooks.example.com/x", allow_private=False, resolve=public_dns)
    assert refused.value.code == "unsafe_url"


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/",
    "http://169.254.169.254/",
    "https://[fd00:ec2::254]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[fe80::1]/",
    "https://0.0.0.0/",
    "https://[64:ff9b::a9fe:a9fe]/",       # NAT64 of 169.254.169.254
])
def test_metadata_and_link_local_are_refused_even_on_the_local_stack(url):
    # GIVEN the local stack (private URLs allowed)
    # WHEN a metadata or link-local URL is checked
    with pytest.raises(UnsafeTarget) as refused:
        check_target(url, allow_private=True)
    # THEN it is still refused
    assert refused.value.code == "unsafe_url"


def test_hostname_resolving_to_metadata_is_refused_even_on_the_local_stack():
    def metadata_dns(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    with pytest.raises(UnsafeTarget) as refused:
        check_target("http://metadata.example.com/", allow_private=True, resolve=metadata_dns)
    assert refused.value.code == "unsafe_url"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "https://10.0.0.1/x", "http://[::1]:9/x",
                                 "http://localhost:8000/x"])
def test_local_stack_allows_loopback_and_private_over_http(url):
    # GIVEN the local stack
    # WHEN a loopback or private URL is checked
    target = check_target(url, allow_private=True)
    # THEN it is accepted
    assert target.url == url
