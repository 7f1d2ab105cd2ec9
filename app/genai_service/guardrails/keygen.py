"""Print a new API key and the API_KEYS_FILE entry (its digest) for a tenant and tier.

    python -m genai_service.guardrails.keygen acme pro

The key is shown once, on stdout; only the entry belongs in the keys file.
"""

from __future__ import annotations

import secrets
import sys

from genai_service.guardrails.auth import KeyConfigError, key_file_entry


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m genai_service.guardrails.keygen TENANT TIER", file=sys.stderr)
        return 2
    key = "sk-lab-" + secrets.token_urlsafe(32)
    try:
        entry = key_file_entry(key, argv[0], argv[1])
    except KeyConfigError as exc:
        print(f"keygen: {exc}", file=sys.stderr)
        return 2
    print(f"key:   {key}")
    print(f"entry: {entry}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
