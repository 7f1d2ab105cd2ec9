"""The request id: the caller's X-Request-ID when it is a plain token that holds no PII.

An id is echoed in the response, written on every log line and exported, so a caller who puts
an SSN, a card number or a key in it would have it logged raw. An id that redaction would
change is replaced by a generated one, and the response says so (REPLACED_HEADER), so a
client correlating by its own id learns why it does not match. A generated id is SafeText:
it holds no PII by construction, so log redaction passes it without a scan.
"""

from __future__ import annotations

import re
import uuid

from lab_telemetry.redaction import SafeText, token_pii_kind

REPLACED_HEADER = b"x-request-id-replaced"
REPLACED_VALUE = b"contains-pii"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


def choose(header: str | None) -> tuple[str, bool]:
    """(the request id to use, whether the caller's id was replaced because it held PII)."""
    if header and _SAFE_ID.fullmatch(header):
        if token_pii_kind(header) is None:
            return header, False
        return SafeText(uuid.uuid4().hex), True
    return SafeText(uuid.uuid4().hex), False
