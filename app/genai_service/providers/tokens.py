"""Token counts from text, for the simulator and for estimates when a backend gives none.

Words and punctuation marks each count as one token: close enough to BPE counts for English
prose to make cost and token dashboards realistic, and cheap enough for the hot path.
"""

from __future__ import annotations

import re

from genai_service.offload import map_yielding
from genai_service.pricing import Usage
from genai_service.providers.base import Message

_TOKEN = re.compile(r"\w+|[^\w\s]")
# Chat formats wrap every message in a few role and separator tokens.
PER_MESSAGE_OVERHEAD = 3
PER_REQUEST_OVERHEAD = 3


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def count_prompt_tokens(messages: tuple[Message, ...]) -> int:
    return PER_REQUEST_OVERHEAD + sum(
        PER_MESSAGE_OVERHEAD + count_tokens(m.content) for m in messages
    )


async def count_prompt_tokens_yielding(messages: tuple[Message, ...]) -> int:
    """count_prompt_tokens for a prompt of any size: one message at a time, handing the event
    loop back between them, so a huge prompt does not hold it."""
    counts = await map_yielding(count_tokens, [m.content for m in messages], len)
    return PER_REQUEST_OVERHEAD + sum(PER_MESSAGE_OVERHEAD + n for n in counts)


def partial_usage(messages: tuple[Message, ...], generated: str) -> Usage:
    """Usage of a call that ended before the model reported any (a stream cut short): the
    whole prompt was read, and what was generated so far was produced."""
    return Usage(count_prompt_tokens(messages), count_tokens(generated))
