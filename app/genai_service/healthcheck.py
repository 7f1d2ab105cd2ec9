"""Container health check: `python -m genai_service.healthcheck` (slim images have no curl).

Exit 0 when http://127.0.0.1:$PORT$HEALTHCHECK_PATH answers 200 within 3 s, else 1. PORT and
HEALTHCHECK_PATH default to 8000 and /healthz, so the same image checks aiops on 8001 too.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("PORT", "8000")
    path = os.environ.get("HEALTHCHECK_PATH", "/healthz")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as r:
            return 0 if r.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
