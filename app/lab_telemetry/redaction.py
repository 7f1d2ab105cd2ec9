"""PII redaction: the one place that decides what personal or secret data looks like.

Everything that leaves the process goes through here: log fields (a structlog processor and a
filter on stdlib records), span and log attributes (a redacting exporter wrapper and log record
processor in lab_telemetry), captured prompt text, and the orchestrator's prompt
redaction stage. Nothing else in the code base matches PII, so fixing a miss here fixes it
everywhere.

Design notes, because this sits on the hot path:
- One combined pattern, compiled at import, scanned once per string; validators (Luhn, IBAN
  mod-97, IP parsing) run only on candidates, so a random 16-digit number is not a card and a
  version string like 12:30:45 is not an IPv6 address.
- A cheap trigger check skips strings that cannot hold any of the types (no digit, no '@', no
  ':', no "bearer" and shorter than an AWS secret key). Most attribute values take this path.
- Short strings repeat (routes, model names, log messages), so their result is memoised in a
  bounded LRU; the cache lives only in this process's memory.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

#: What a match becomes: the type stays visible, so a reader knows something was removed.
PLACEHOLDER = "[REDACTED:{kind}]"

_SECRET_LEN = 40
_CACHEABLE_LEN = 256


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    # Letters become 10..35, then the whole number mod 97 must be 1 (ISO 13616).
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _placeholder(kind: str) -> str:
    return PLACEHOLDER.format(kind=kind)


def _longest_valid_prefix(text: str, seps: str, valid: Callable[[str], bool], min_len: int) -> int:
    """Length of the longest prefix of text (ending on a non-separator) whose compact form is
    valid, or 0. A greedy match can swallow a following word or digit group; trimming back
    finds the real number inside it."""
    for end in range(len(text), 0, -1):
        if text[end - 1] in seps:
            continue
        compact = "".join(c for c in text[:end] if c not in seps)
        if len(compact) < min_len:
            return 0
        if valid(compact):
            return end
    return 0


# Issuer prefixes (IIN ranges) and the lengths each network issues (ISO/IEC 7812 registrations
# as published by the networks): Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay,
# Maestro, Mir, RuPay, Troy. Luhn alone passes one random number in ten, so a bare digit run is
# a card only when it also starts like one: epoch timestamps (13-digit ms, 16-digit us, 19-digit
# ns, all starting with 1 until 2033) do not. UATP (airline cards: 1, 15 digits) is left out
# because trimming a timestamp back to a valid prefix would make it one.
_ISSUERS: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})),  # Mastercard
    (2221, 2720, frozenset({16})),  # Mastercard 2-series
    (34, 34, frozenset({15})),  # Amex
    (37, 37, frozenset({15})),
    (6011, 6011, frozenset(range(16, 20))),  # Discover
    (644, 649, frozenset(range(16, 20))),
    (65, 65, frozenset(range(16, 20))),  # Discover, RuPay
    (3528, 3589, frozenset(range(16, 20))),  # JCB
    (300, 305, frozenset(range(14, 20))),  # Diners Club
    (36, 36, frozenset(range(14, 20))),
    (38, 39, frozenset(range(16, 20))),
    (62, 62, frozenset(range(16, 20))),  # UnionPay
    (50, 50, frozenset(range(12, 20))),  # Maestro
    (56, 69, frozenset(range(12, 20))),
    (2200, 2204, frozenset(range(16, 20))),  # Mir
    (60, 60, frozenset({16})),  # RuPay
    (81, 82, frozenset({16})),
    (9792, 9792, frozenset({16})),  # Troy
)

# Words that put any Luhn-valid digit run in a card context, within a short look-back.
_CARD_WORDS = re.compile(
    r"(?i)(?<![a-z])(?:card|cc|ccn|pan|credit|debit|visa|mastercard|amex|maestro|discover)"
    r"(?:[\s_\-]?(?:no|num|number|#))?[\s.:=#\"'\-]{0,4}$"
)
_CARD_CONTEXT_CHARS = 24


def issuer_matches(digits: str) -> bool:
    """True if digits start with a card network's issuer prefix and have a length it issues."""
    n = len(digits)
    for low, high, lengths in _ISSUERS:
        width = len(str(low))
        if n in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


def _card_ok(compact: str) -> bool:
    return 13 <= len(compact) <= 19 and luhn_valid(compact) and issuer_matches(compact)


def _card_ok_in_context(compact: str) -> bool:
    return 13 <= len(compact) <= 19 and luhn_valid(compact)


def _always(kind: str) -> Callable[[re.Match[str]], str]:
    placeholder = _placeholder(kind)
    return lambda _m: placeholder


def _secret(m: re.Match[str]) -> str:
    token = m.group(0)
    # A real secret mixes cases and digits or symbols; this keeps hex digests and words out.
    has_upper = any(c.isupper() for c in token)
    has_lower = any(c.islower() for c in token)
    # Cut out of a longer run at a '/', a '/' proves nothing: forty characters of a path like
    # /Users/Jane/Documents/... also mix cases and slashes. Then a digit or '+' must be there.
    text = m.string
    in_path = (m.start() > 0 and text[m.start() - 1] == "/") or text[m.end() : m.end() + 1] == "/"
    symbols = "+" if in_path else "/+"
    has_other = any(c.isdigit() or c in symbols for c in token)
    return _placeholder("aws_secret_key") if has_upper and has_lower and has_other else token


def _iban(m: re.Match[str]) -> str:
    text = m.group(0)
    end = _longest_valid_prefix(text, " ", iban_valid, 15)
    return _placeholder("iban") + text[end:] if end else text


def _card(m: re.Match[str]) -> str:
    text = m.group(0)
    before = m.string[max(0, m.start() - _CARD_CONTEXT_CHARS) : m.start()]
    valid = _card_ok_in_context if _CARD_WORDS.search(before) else _card_ok
    end = _longest_valid_prefix(text, " -", valid, 13)
    return _placeholder("card_number") + text[end:] if end else text


def _ip(m: re.Match[str]) -> str:
    text = m.group(0)
    # A sentence can end right after an address; the dot is not part of it.
    core = text.rstrip(".:")
    try:
        addr = ipaddress.ip_address(core)
    except ValueError:
        return text
    # Loopback and the unspecified address identify no one and keep local logs readable.
    if addr.is_loopback or addr.is_unspecified:
        return text
    return _placeholder("ip_address") + text[len(core) :]


def _ssn(m: re.Match[str]) -> str:
    text = m.group(0)
    area, group, serial = text.split("-")
    # Numbers the SSA never issues are not SSNs (area 000, 666, 9xx; group 00; serial 0000).
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return text
    return _placeholder("us_ssn")


def _phone(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = sum(c.isdigit() for c in text)
    return _placeholder("phone_number") if 7 <= digits <= 15 else text


# Each pattern begins with a plain character class, so the regex engine skips in C to the
# positions that can start a match; the look-behind right after it plays the role of \b.
# Rules run in order on the output of the previous one: a bearer token goes before the
# secret-key shape inside it, an IBAN before the card-like digits inside it, an SSN before
# a phone number. Placeholders contain nothing any later rule matches.
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_BEARER = re.compile(r"(?i:bearer)")


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]
    needs: str  # "" always runs; "digit", "@", ":", "bearer", "long" gate the scan


_RULES: tuple[_Rule, ...] = (
    _Rule(
        "bearer_token",
        re.compile(r"[Bb](?<![A-Za-z0-9][Bb])(?i:earer)\s+[A-Za-z0-9\-._~+/]{8,}=*"),
        _always("bearer_token"),
        "bearer",
    ),
    _Rule(
        "email",
        re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
        _always("email"),
        "@",
    ),
    _Rule(
        "aws_access_key_id",
        re.compile(
            r"A(?<![A-Za-z0-9]A)(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|PKA|ROA|SCA)[A-Z0-9]{16}\b"
        ),
        _always("aws_access_key_id"),
        "",
    ),
    _Rule(
        "aws_secret_key",
        # May start right after a '/' and end right before one: a key is a URL path segment
        # as often as a word (/keys/<secret>/rotate); _secret then asks for more than '/'.
        re.compile(
            r"[A-Za-z0-9/+](?<![A-Za-z0-9+][A-Za-z0-9/+])[A-Za-z0-9/+]{39}(?![A-Za-z0-9+=])"
        ),
        _secret,
        "long",
    ),
    _Rule(
        "iban",
        re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z][0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b"),
        _iban,
        "digit",
    ),
    _Rule(
        "us_ssn",
        re.compile(r"[0-9](?<![\w\-.][0-9])\d{2}-\d{2}-\d{4}(?![\w\-])"),
        _ssn,
        "digit",
    ),
    _Rule(
        "card_number",
        re.compile(r"[0-9](?<![\w\-.][0-9])(?:[ \-]?\d){12,18}(?!\w)"),
        _card,
        "digit",
    ),
    _Rule(
        "ipv4",
        re.compile(r"[0-9](?<![\w.][0-9])\d{0,2}(?:\.\d{1,3}){3}(?!\w|\.\d)"),
        _ip,
        "digit",
    ),
    _Rule(
        "ipv6",
        re.compile(r"[0-9A-Fa-f:](?<![\w:.][0-9A-Fa-f:])[0-9A-Fa-f:.]{1,44}(?![\w:])"),
        _ip,
        ":",
    ),
    _Rule(
        "phone_number",
        re.compile(
            r"\+(?<![\w+]\+)[1-9]\d{0,2}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}"
            r"(?:[ .\-]?\d{2,4}){1,4}"
            r"(?!\w)"
        ),
        _phone,
        "digit",
    ),
    _Rule(
        "phone_number",
        re.compile(
            r"[(0-9](?<![\w+(][(0-9])(?:(?<=\()\d{3}\)[ .\-]?|(?<=\d)\d{2}[ .\-])\d{3}[ .\-]\d{4}"
            r"(?!\w)"
        ),
        _phone,
        "digit",
    ),
)

KINDS: tuple[str, ...] = (
    *dict.fromkeys(r.kind for r in _RULES if r.kind not in ("ipv4", "ipv6")),
    "ip_address",
)


def _scan(text: str) -> str:
    has_digit = _HAS_DIGIT.search(text) is not None
    gates = {
        "": True,
        "digit": has_digit,
        "@": "@" in text,
        ":": text.count(":") >= 2,
        "bearer": _HAS_BEARER.search(text) is not None,
        # A secret is 40 characters and, per _secret, holds a digit, '/' or '+'.
        "long": len(text) >= _SECRET_LEN and (has_digit or "/" in text or "+" in text),
    }
    for rule in _RULES:
        if gates[rule.needs]:
            text = rule.pattern.sub(rule.replace, text)
    return text


def _redact_scan(text: str) -> str:
    out = _scan(text)
    # URLs and form bodies hide PII behind percent-encoding (a%40b.com) and '+' for spaces.
    # If the decoded form holds PII, the decoded, redacted form is what goes out.
    if "%" in out or "+" in out:
        decoded = unquote_plus(out)
        if decoded != out:
            redacted = _scan(decoded)
            if redacted != decoded:
                return redacted
    return out


_redact_cached = lru_cache(maxsize=8192)(_redact_scan)


class SafeText(str):
    """Text that is safe to export by construction: a keyed hash (genai_service.pseudonym) or an
    id the service generated. Redaction passes it through without a scan, which matters for
    values that are new on every request (a scan of a 16-character string that misses the
    cache costs about as much as a span). Never wrap text that came from a caller."""

    __slots__ = ()


def redact_text(text: str) -> str:
    """text with every recognised piece of PII or secret replaced by [REDACTED:<kind>]."""
    if type(text) is SafeText:
        return text
    if len(text) <= _CACHEABLE_LEN:
        return _redact_cached(text)
    return _redact_scan(text)


def redact_value(value: Any) -> Any:
    """Redact an attribute-like value: strings, and strings inside sequences and mappings."""
    if type(value) is SafeText:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes | bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        redacted = [redact_value(v) for v in value]
        return tuple(redacted) if isinstance(value, tuple) else redacted
    return redact_text(str(value))


def redact_mapping(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A copy of an attribute mapping with every value redacted (keys are code, not data)."""
    if values is None:
        return None
    return {k: redact_value(v) for k, v in values.items()}


# ------------------------------------------------------------------ tokens the caller made up
# Request ids, URL path segments and query values, names quoted back in error messages. The
# rules above read '-', '.', ':' and '/' next to a number as part of a larger token (a version,
# a range, a model name), so "order-4111111111111111" passes them whole. A token the caller
# made up is checked harder: whole, then each tail after one of those separators on its own,
# and a token holding PII anywhere is replaced as a whole. Off the hot path: used only on
# request ids, URL attributes, access-log lines and error messages.
_TOKEN_SEPARATORS = re.compile(r"[._:\-/]")
_PLACEHOLDER_KIND = re.compile(r"\[REDACTED:([a-z0-9_]+)\]")
# Quoted values, and runs between whitespace and URL delimiters.
_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|[^\s'\"/?&=#]+")
#: Span attributes that carry the request's URL (OTel HTTP semantic conventions).
URL_ATTRIBUTES = frozenset({"url.path", "url.query", "url.full", "http.target"})


def token_pii_kind(token: str) -> str | None:
    """The kind of PII a caller-made token holds (whole or in a tail after a separator)."""
    # Every kind needs a digit, an '@' or (a secret key) 40 characters: most tokens are words.
    if len(token) < _SECRET_LEN and "@" not in token and _HAS_DIGIT.search(token) is None:
        return None
    for start in (0, *(m.end() for m in _TOKEN_SEPARATORS.finditer(token))):
        tail = token[start:]
        redacted = redact_text(tail)
        if redacted != tail:
            found = _PLACEHOLDER_KIND.search(redacted)
            return found.group(1) if found else "pii"
    return None


def _redact_token(m: re.Match[str]) -> str:
    token = m.group(0)
    quote = token[0] if token[0] in "'\"" and len(token) > 1 else ""
    kind = token_pii_kind(token[1:-1] if quote else token)
    return token if kind is None else f"{quote}{_placeholder(kind)}{quote}"


def redact_tokens(text: str) -> str:
    """redact_text, then every token (quoted value, URL segment, word) that still holds PII
    replaced whole by its placeholder."""
    return _TOKEN.sub(_redact_token, redact_text(text))


def redact_attribute(key: str, value: Any) -> Any:
    """redact_value, with URL attributes read token by token (redact_tokens)."""
    if key in URL_ATTRIBUTES and isinstance(value, str):
        return redact_tokens(value)
    return redact_value(value)
