"""API keys: digests only, tenants and tiers, constant-time lookup, and no raw key anywhere."""

from __future__ import annotations

import hashlib
import json

import pytest

from genai_service.guardrails import auth
from genai_service.guardrails.auth import (
    KeyConfigError,
    KeyStore,
    Principal,
    bearer_token,
    parse_key_file,
    parse_key_list,
)
from genai_service.guardrails.keygen import main as keygen_main
from genai_service.guardrails.settings import GuardrailSettings

pytestmark = pytest.mark.unit


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def test_key_file_yaml_and_json_map_digests_to_tenants(tmp_path) -> None:
    yaml_text = f"keys:\n  - {{sha256: {sha('k-acme')}, tenant: acme, tier: pro}}\n"
    json_text = json.dumps({"keys": [{"sha256": sha("k-free"), "tenant": "tiny", "tier": "free"}]})
    store = KeyStore(parse_key_file(yaml_text) + parse_key_file(json_text))
    assert store.lookup("k-acme") == Principal("acme", "pro")
    assert store.lookup("k-free") == Principal("tiny", "free")
    assert store.lookup("k-acme ") is None
    assert store.lookup("K-ACME") is None
    assert store.lookup("") is None
    assert store.lookup(None) is None


def test_a_key_may_name_its_user() -> None:
    text = f"keys: [{{sha256: {sha('k-me')}, tenant: acme, tier: pro, user: svc-batch}}]"
    assert KeyStore(parse_key_file(text)).lookup("k-me") == Principal(
        "acme", "pro", user="svc-batch"
    )


@pytest.mark.parametrize(
    "text",
    [
        "keys: [{key: raw-secret, tenant: a, tier: pro}]",
        "keys: [{sha256: abc, tenant: a, tier: pro}]",
        f"keys: [{{sha256: {'0' * 64}, tenant: a, tier: platinum}}]",
        f"keys: [{{sha256: {'0' * 64}, tenant: 'a b', tier: pro}}]",
        f"keys: [{{sha256: {'0' * 64}, tier: pro}}]",
        "just a string",
        "keys: {",
        f"keys: [{{sha256: {'0' * 64}, tenant: a, tier: pro, user: ''}}]",
        f"keys: [{{sha256: {'0' * 64}, tenant: a, tier: pro, user: [x]}}]",
    ],
)
def test_bad_key_files_are_refused(text: str) -> None:
    with pytest.raises(KeyConfigError) as err:
        parse_key_file(text)
    assert "raw-secret" not in str(err.value)


def test_env_key_list_and_lab_key() -> None:
    settings = GuardrailSettings.from_env(
        {"API_KEYS": "sk-a:b:c:acme:pro, sk-free:tiny:free", "LAB_API_KEY": "lab-secret"}
    )
    store = KeyStore.from_settings(settings)
    assert store.lookup("sk-a:b:c") == Principal("acme", "pro")
    assert store.lookup("sk-free") == Principal("tiny", "free")
    # The lab's key is the tenant "lab"'s own key: it cannot act for other tenants.
    assert store.lookup("lab-secret") == Principal("lab", "enterprise", delegate=False)
    assert store.lookup("sk-free").delegate is False
    assert store.tenants() == {"acme": "pro", "tiny": "free", "lab": "enterprise"}


def test_bad_env_entry_does_not_echo_the_key() -> None:
    with pytest.raises(KeyConfigError) as err:
        parse_key_list("sk-very-secret-value")
    assert "sk-very-secret" not in str(err.value)


def test_required_keys_with_none_configured_fails_at_start() -> None:
    with pytest.raises(KeyConfigError):
        KeyStore.from_settings(GuardrailSettings(require_api_key=True))
    assert len(KeyStore.from_settings(GuardrailSettings(require_api_key=False))) == 0


def test_key_file_from_settings(tmp_path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(
        f"keys:\n  - sha256: {sha('from-file')}\n    tenant: filed\n    tier: free\n"
        f"  - {{sha256: {sha('platform')}, tenant: gw, tier: pro, delegate: true}}\n"
    )
    store = KeyStore.from_settings(GuardrailSettings(api_keys_file=str(path)))
    assert store.lookup("from-file") == Principal("filed", "free")
    assert store.lookup("platform") == Principal("gw", "pro", delegate=True)
    with pytest.raises(KeyConfigError):
        KeyStore.from_settings(GuardrailSettings(api_keys_file=str(tmp_path / "missing.yaml")))


def test_lookup_compares_every_digest_in_constant_time(monkeypatch) -> None:
    store = KeyStore(parse_key_list("k1:a:free,k2:b:pro,k3:c:enterprise"))
    calls: list[tuple[bytes, bytes]] = []
    real = auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    # A match on the first key, on the last key and no match all cost the same comparisons:
    # the loop never stops early.
    for presented in ("k1", "k3", "nope"):
        calls.clear()
        store.lookup(presented)
        assert len(calls) == 3
        assert all(len(a) == len(b) == 32 for a, b in calls)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer a b", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_keygen_prints_a_key_whose_entry_holds_only_the_digest(capsys) -> None:
    assert keygen_main(["acme", "pro"]) == 0
    out = capsys.readouterr().out
    key = out.split("key:")[1].split()[0]
    entry = json.loads(out.split("entry:")[1])
    assert key not in json.dumps(entry)
    store = KeyStore(parse_key_file(json.dumps({"keys": [entry]})))
    assert store.lookup(key) == Principal("acme", "pro")
    assert keygen_main(["acme", "gold"]) == 2
