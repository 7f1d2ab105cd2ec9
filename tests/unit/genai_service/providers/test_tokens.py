"""Prompt token counts: the event-loop-friendly count is the same count."""

from __future__ import annotations

import asyncio

import pytest

from genai_service.offload import SLICE_CHARS
from genai_service.providers.base import Message
from genai_service.providers.tokens import count_prompt_tokens, count_prompt_tokens_yielding

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "messages",
    [
        (),
        (Message("user", "hello there, model!"),),
        (Message("system", "be brief"), Message("user", "why?"), Message("assistant", "")),
    ],
)
async def test_the_yielding_count_is_the_plain_count(messages: tuple[Message, ...]) -> None:
    assert await count_prompt_tokens_yielding(messages) == count_prompt_tokens(messages)


async def test_a_long_prompt_hands_the_event_loop_back_while_it_is_counted() -> None:
    turns = 0

    async def other_request() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_request())
    await asyncio.sleep(0)
    before = turns
    long = tuple(Message("user", "word " * SLICE_CHARS) for _ in range(3))
    assert await count_prompt_tokens_yielding(long) == count_prompt_tokens(long)
    other.cancel()
    assert turns - before >= 2
