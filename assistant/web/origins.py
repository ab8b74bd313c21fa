"""Which hosts and origins are the app's own, and who the client really is.

The app's own origins come from settings (its public URL, and loopback) and the address it binds
to, never from the request's ``Host``: a request with a foreign ``Host`` is DNS rebinding, one with
a foreign ``Origin`` comes from another site's page. ``X-Forwarded-For`` is believed only when the
peer is a configured proxy.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
_WILDCARDS = {"0.0.0.0", "::", ""}


def _split_list(value: str) -> list[str]:
    return [v.strip() for v in str(value or "").replace(";", ",").split(",") if v.strip()]


def _host_port(netloc: str, default_port: int | None) -> tuple[str, int | None]:
    """``"School.Test:7860"`` -> ``("school.test", 7860)``; IPv6 brackets dropped."""
    parts = urlsplit("//" + netloc.strip())
    try:
        port = parts.port
    except ValueError:
        return "", None
    return (parts.hostname or "").lower(), port if port is not None else default_port


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SitePolicy:
    """The hosts the app answers to and the origins whose pages may use it."""

    hosts: frozenset[str]  # host names (lower case, no port) a request's Host may carry
    origins: frozenset[str]  # scheme://host[:port] of pages that may send requests
    https: bool = False  # the public URL is https: cookies get Secure

    @classmethod
    def build(cls, bind_host: str, port: int, public_urls: str = "") -> "SitePolicy":
        hosts = set(LOOPBACK_NAMES)
        origins = set()
        bind = bind_host.strip().strip("[]").lower()
        if bind not in _WILDCARDS:
            hosts.add(bind)
        for name in sorted(hosts):
            shown = f"[{name}]" if ":" in name else name
            origins.add(f"http://{shown}:{port}")
        https = False
        for url in _split_list(public_urls):
            parts = urlsplit(url if "://" in url else "http://" + url)
            if not parts.hostname:
                continue
            hosts.add(parts.hostname.lower())
            default = 443 if parts.scheme == "https" else 80
            p = parts.port or default
            netloc = parts.hostname.lower() if p == default else f"{parts.hostname.lower()}:{p}"
            origins.add(f"{parts.scheme}://{netloc}")
            https = https or parts.scheme == "https"
        return cls(frozenset(hosts), frozenset(origins), https)

    def host_allowed(self, host_header: str) -> bool:
        host, _ = _host_port(host_header, None)
        return bool(host) and host in self.hosts

    def origin_allowed(self, origin: str) -> bool:
        """An ``Origin`` header (or a ``Referer``, whose path is ignored) of one of our pages."""
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        default = 443 if parts.scheme == "https" else 80
        try:
            port = parts.port or default
        except ValueError:
            return False
        host = parts.hostname.lower()
        shown = f"[{host}]" if ":" in host else host
        netloc = shown if port == default else f"{shown}:{port}"
        return f"{parts.scheme}://{netloc}" in self.origins


def client_address(peer: str, forwarded_for: str, trusted_proxies: str) -> str:
    """The address to count a client by: the peer, or the nearest untrusted ``X-Forwarded-For``
    entry when the peer is a configured proxy (entries a client wrote itself are further left)."""
    trusted = set(_split_list(trusted_proxies))
    if peer not in trusted or not forwarded_for:
        return peer
    for hop in reversed(_split_list(forwarded_for)):
        if hop not in trusted:
            return hop
    return peer
