"""Base-URL guard: keep integrations from being pointed at internal or metadata endpoints.

A tenant controls ``base_url``; without this check a hostile tenant could make the platform
fetch cloud credentials from an instance-metadata service (SSRF). Literal IPs in every
spelling the OS resolver accepts (``2852039166``, ``0xa9fea9fe``, ``::ffff:169.254.169.254``)
are decoded and checked; hostnames are checked by name only (no DNS here, so DNS rebinding
must be handled at the network layer: egress policy or a resolving transport).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx

from aria.sdk.errors import ConfigError

_METADATA_IPS = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack IMDS
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("168.63.129.16"),  # Azure WireServer
}
_METADATA_HOSTS = {
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.com",
    "metadata.azure.internal",
    "instance-data",
    "instance-data.ec2.internal",
}
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class UrlPolicy:
    """What a base URL may point at.

    ``allow_loopback`` is for sandboxes and local development; ``allow_private`` is for
    self-hosted deployments whose tools live on RFC 1918 networks (on-prem SIEMs, scanners).
    Link-local and cloud metadata targets are refused regardless.
    """

    allow_loopback: bool = False
    allow_private: bool = False


def check_base_url(url: str, policy: UrlPolicy | None = None) -> str:
    """Return ``url`` without a trailing slash if it is safe to call, else raise ConfigError."""
    policy = policy or UrlPolicy()
    problem = _problem(url, policy)
    if problem:
        raise ConfigError(f"base_url rejected: {problem}", fields={"base_url": problem})
    return url.rstrip("/")


def is_allowed(url: str, policy: UrlPolicy | None = None) -> bool:
    """True when :func:`check_base_url` would accept ``url``."""
    return _problem(url, policy or UrlPolicy()) is None


def same_origin(url: str, base: str) -> bool:
    """True when ``url`` has the scheme, host and port of ``base`` (next-page links, redirects)."""
    a, b = httpx.URL(url), httpx.URL(base)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _problem(url: str, policy: UrlPolicy) -> str | None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "not a valid URL"
    if parsed.scheme not in ("http", "https"):
        return "only http and https URLs are allowed"
    if parsed.userinfo:
        return "credentials in the URL are not allowed; use the credential fields"
    if parsed.fragment:
        return "a fragment is not allowed"
    host = parsed.host.rstrip(".").lower()
    if not host:
        return "the URL has no host"
    address = _literal_ip(host)
    if address is None:
        return _hostname_problem(host, policy)
    return _address_problem(address, policy)


def _hostname_problem(host: str, policy: UrlPolicy) -> str | None:
    if host in _METADATA_HOSTS or (host.startswith("metadata.") and host.endswith(".internal")):
        return "cloud metadata endpoints are not allowed"
    if (host == "localhost" or host.endswith(".localhost")) and not policy.allow_loopback:
        return "loopback addresses are only allowed in sandbox or development mode"
    return None


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        pass
    # The C resolver also accepts 2852039166, 0xa9.0xfe.0xa9.0xfe, 0251.0376.0251.0376, 127.1
    if all(c in "0123456789abcdefx." for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _address_problem(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, policy: UrlPolicy
) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return _address_problem(embedded, policy)
    if address in _METADATA_IPS:
        return "cloud metadata endpoints are not allowed"
    if any(address in net for net in _LINK_LOCAL if net.version == address.version):
        return "link-local addresses are not allowed"
    if address.is_loopback or address.is_unspecified:
        if policy.allow_loopback:
            return None
        return "loopback addresses are only allowed in sandbox or development mode"
    if address.is_multicast or address.is_reserved:
        return "multicast and reserved addresses are not allowed"
    if address.is_private and not policy.allow_private:
        return "private network addresses are not allowed unless enabled for this deployment"
    return None
