"""API keys: bearer keys mapped to a tenant and a tier.

Keys are held only as SHA-256 digests. A presented key is hashed and compared with every stored
digest using hmac.compare_digest, without stopping at a match, so neither the comparison nor the
position of a match leaks through timing. Raw keys are never stored, returned or logged.

Sources, merged in this order (a later duplicate digest wins):
- API_KEYS_FILE: YAML or JSON, ``{"keys": [{"sha256": "<hex>", "tenant": "acme", "tier": "pro"}]}``
  (an entry may add ``"user": "<id>"`` for a personal key: calls are then that user's);
  (``python -m genai_service.guardrails.keygen TENANT TIER`` prints a key and its entry);
- API_KEYS: ``key:tenant:tier,...`` for quick local use;
- LAB_API_KEY: the lab's own key, tenant ``lab``, tier ``enterprise``.

Only a key marked ``delegate: true`` in API_KEYS_FILE (a platform key in front of several
tenants) may act for the tenant named in X-Tenant-ID; any other key always acts as its own
tenant. A tier belongs to the tenant: two keys of one tenant with different tiers are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from genai_service.guardrails.settings import TIERS, GuardrailSettings

LAB_TENANT = "lab"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class Principal:
    tenant: str
    tier: str
    authenticated: bool = True
    # A platform key acts on behalf of the tenant named in X-Tenant-ID (each delegation is a
    # security event naming both tenants). Only keys marked so in API_KEYS_FILE.
    delegate: bool = False
    # A personal key names its user (API_KEYS_FILE "user"); it then wins over X-User-ID.
    user: str | None = None


ANONYMOUS = Principal(tenant="anonymous", tier="enterprise", authenticated=False)


class KeyConfigError(ValueError):
    """The key configuration is unusable; raised at start-up, never per request."""


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def _entry(sha256_hex: str, tenant: str, tier: str, where: str) -> tuple[bytes, Principal]:
    sha = sha256_hex.strip().lower()
    if not _HEX64.match(sha):
        raise KeyConfigError(f"{where}: sha256 must be 64 hex characters")
    if not _TENANT.match(tenant):
        raise KeyConfigError(f"{where}: tenant {tenant!r} must match {_TENANT.pattern}")
    if tier not in TIERS:
        raise KeyConfigError(f"{where}: tier {tier!r} is not one of {TIERS}")
    return bytes.fromhex(sha), Principal(tenant=tenant, tier=tier)


def parse_key_file(text: str, *, name: str = "API_KEYS_FILE") -> list[tuple[bytes, Principal]]:
    # YAML is a superset of JSON, so one parser reads both.
    try:
        raw = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise KeyConfigError(f"{name}: not valid YAML/JSON ({exc.__class__.__name__})") from None
    items = raw.get("keys") if isinstance(raw, Mapping) else None
    if not isinstance(items, list):
        raise KeyConfigError(f"{name}: expected a mapping with a 'keys' list")
    entries = []
    for i, item in enumerate(items):
        where = f"{name} keys[{i}]"
        if not isinstance(item, Mapping):
            raise KeyConfigError(f"{where}: expected a mapping")
        if "key" in item:
            # Refuse raw keys in files: a file of digests can be shared and committed safely.
            raise KeyConfigError(f"{where}: store the key's sha256, not the key itself")
        try:
            sha, principal = _entry(
                str(item["sha256"]), str(item["tenant"]), str(item["tier"]), where
            )
        except KeyError as exc:
            raise KeyConfigError(f"{where}: missing field {exc.args[0]!r}") from None
        if item.get("delegate") is True:
            principal = replace(principal, delegate=True)
        user = item.get("user")
        if user is not None:
            if not isinstance(user, str) or not 0 < len(user) <= 256:
                raise KeyConfigError(f"{where}: user must be a string of 1 to 256 characters")
            principal = replace(principal, user=user)
        entries.append((sha, principal))
    return entries


def parse_key_list(spec: str) -> list[tuple[bytes, Principal]]:
    entries = []
    for i, part in enumerate(p.strip() for p in spec.split(",")):
        if not part:
            continue
        # rsplit: the key itself may contain ':'; tenant and tier may not.
        pieces = part.rsplit(":", 2)
        if len(pieces) != 3 or not pieces[0]:
            # Never echo the entry: it holds a raw key.
            raise KeyConfigError(f"API_KEYS entry {i}: expected key:tenant:tier")
        key, tenant, tier = pieces
        entries.append(_entry(digest(key).hex(), tenant, tier, f"API_KEYS entry {i}"))
    return entries


class KeyStore:
    def __init__(self, entries: Iterable[tuple[bytes, Principal]]) -> None:
        merged: dict[bytes, Principal] = {}
        for sha, principal in entries:
            merged[sha] = principal
        self._entries = tuple(merged.items())
        self._tiers: dict[str, str] = {}
        for principal in merged.values():
            tier = self._tiers.setdefault(principal.tenant, principal.tier)
            if tier != principal.tier:
                raise KeyConfigError(
                    f"tenant {principal.tenant!r} has keys of two tiers ({tier}, "
                    f"{principal.tier}): a tier belongs to the tenant, give its keys one tier"
                )

    def __len__(self) -> int:
        return len(self._entries)

    def tenants(self) -> dict[str, str]:
        """tenant -> tier for every tenant that has a key (its one tier)."""
        return dict(self._tiers)

    def lookup(self, presented: str | None) -> Principal | None:
        if not presented:
            return None
        candidate = digest(presented)
        found: Principal | None = None
        for sha, principal in self._entries:
            # Every digest is compared, match or not: the loop's duration does not depend on
            # which key (if any) matched.
            if hmac.compare_digest(candidate, sha):
                found = principal
        return found

    @classmethod
    def from_settings(cls, settings: GuardrailSettings) -> KeyStore:
        entries: list[tuple[bytes, Principal]] = []
        if settings.api_keys_file:
            path = Path(settings.api_keys_file)
            try:
                text = path.read_text()
            except OSError as exc:
                raise KeyConfigError(f"API_KEYS_FILE {path}: {exc.strerror}") from None
            entries += parse_key_file(text, name=f"API_KEYS_FILE {path}")
        if settings.api_keys:
            entries += parse_key_list(settings.api_keys)
        if settings.lab_api_key:
            entries.append(
                (
                    digest(settings.lab_api_key),
                    Principal(LAB_TENANT, "enterprise"),
                )
            )
        if settings.require_api_key and not entries:
            raise KeyConfigError(
                "REQUIRE_API_KEY=true but no keys are configured "
                "(set LAB_API_KEY, API_KEYS or API_KEYS_FILE)"
            )
        return cls(entries)


_BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    match = _BEARER.match(authorization)
    return match.group(1) if match else None


def key_file_entry(key: str, tenant: str, tier: str) -> str:
    """One API_KEYS_FILE entry (JSON) for a key, holding only its digest."""
    sha, principal = _entry(digest(key).hex(), tenant, tier, "entry")
    return json.dumps({"sha256": sha.hex(), "tenant": principal.tenant, "tier": principal.tier})
