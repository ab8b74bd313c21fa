"""API keys: bearer tokens checked against sha256 hashes, so no key is kept in the clear.

Keys come from ``ASSISTANT_API_KEYS`` (comma-separated, hashed when read) and from the key file
(``ASSISTANT_API_KEY_FILE``, default ``<data_dir>/api-keys.sha256``: one hex hash a line, ``#``
comments allowed), which ``assistant api-key new`` appends to. Without any key the API answers only
requests that come from and are addressed to this computer: a loopback client address and a
loopback ``Host`` (so a web page on another name cannot reach it through DNS rebinding).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import secrets
from pathlib import Path

from starlette.requests import Request

from ..errors import ConfigError
from ..prompts import API
from ..settings import Settings
from .errors import ApiError

_HEX64 = re.compile(r"[0-9a-f]{64}")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh key: 256 random bits, URL-safe, with a prefix that says what it is."""
    return "sw-" + secrets.token_urlsafe(32)


def read_key_file(path: Path) -> set[str]:
    """The hashes in ``path`` (none when it does not exist); a line that is no hash is an error."""
    if not path.exists():
        return set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(API["key_file_unreadable"].format(path=path, error=e)) from e
    out = set()
    for n, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip().lower()
        if not text:
            continue
        if not _HEX64.fullmatch(text):
            raise ConfigError(API["key_file_line"].format(path=path, n=n))
        out.add(text)
    return out


def key_hashes(settings: Settings) -> frozenset[str]:
    env = {hash_key(k) for k in settings.api_keys.split(",") if k.strip()}
    return frozenset(env | read_key_file(settings.api_key_path))


def add_key(settings: Settings) -> tuple[str, Path]:
    """A new key, its hash appended to the key file (created readable by its owner only)."""
    key = new_key()
    path = settings.api_key_path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(hash_key(key) + "\n")
    return key, path


def is_loopback_address(host: str) -> bool:
    host = (host or "").strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port (``[::1]:8765`` -> ``::1``)."""
    header = header.strip()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class KeyCheck:
    """Who is asking: ``key:<hash prefix>`` for a valid key, ``local:<address>`` without keys."""

    def __init__(self, hashes: frozenset[str]):
        self.hashes = hashes

    def identity(self, request: Request) -> str:
        if not self.hashes:
            client = request.client.host if request.client else ""
            if not (is_loopback_address(client) and is_loopback_address(host_name(request.headers.get("host", "")))):
                raise ApiError(403, "local_only", API["not_local"])
            return f"local:{client}"
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "missing_api_key", API["no_key"], headers={"WWW-Authenticate": "Bearer"})
        digest = hash_key(token)
        # the comparison is on hashes, so its timing tells nothing about a key
        if not any(secrets.compare_digest(digest, h) for h in self.hashes):
            raise ApiError(401, "invalid_api_key", API["wrong_key"], headers={"WWW-Authenticate": "Bearer"})
        return f"key:{digest[:12]}"
