"""The simulated model's answers read like a model's: on-topic replies by intent, the same for
the same prompt and seed, with the simulator's token counts and no "Error" openings."""

from __future__ import annotations

import asyncio
import random
import statistics

import pytest

from genai_service.providers import simulated_text
from genai_service.providers.base import ChatRequest, Message
from genai_service.providers.simulated import SimulatedConfig, SimulatedProvider
from genai_service.providers.tokens import count_tokens

pytestmark = pytest.mark.unit

FAST = SimulatedConfig(latency_ms=0)


def ask(text: str, **kw: object) -> str:
    request = ChatRequest(model="claude-haiku-4-5", messages=(Message("user", text),), **kw)  # type: ignore[arg-type]
    return asyncio.run(SimulatedProvider(FAST).chat(request)).text


@pytest.mark.parametrize(
    ("prompt", "intent"),
    [
        ("Hello!", "greet"),
        ("good morning", "greet"),
        ("Summarise this report: revenue grew while costs fell.", "summarise"),
        ("TL;DR of the incident review please", "summarise"),
        ("Explain how prompt caching reduces latency", "explain"),
        ("What is an error budget?", "explain"),
        ("List five ways to cut token spend", "list"),
        ("Write a Python function that parses log lines", "code"),
        ("Our invoices look wrong this month", "answer"),
    ],
)
def test_intent_from_the_prompt(prompt: str, intent: str) -> None:
    assert simulated_text.intent(prompt) == intent


def test_answers_are_on_topic_by_intent() -> None:
    explain = ask("Explain how prompt caching reduces latency")
    assert explain.startswith("Here is the short version of prompt caching reduces latency.")
    assert "caching" in explain.lower()
    listing = ask("List ways to reduce token spend in the chatbot")
    assert "\n1. " in listing and "\n2. " in listing
    # The code block needs about 30 tokens: answers drawn shorter go without it.
    codes = [ask("Write a Python function that parses log lines", seed=s) for s in range(6)]
    assert any("```python\ndef parses_log_lines(items):" in c for c in codes)
    assert all(c.startswith("Here is a small example for parses log lines:") for c in codes)
    summary = ask("Summarise: the quarterly report shows revenue grew and churn fell.")
    assert summary.startswith("Here is a short summary.") and "quarterly" in summary
    assert ask("hello").startswith("Hello! How can I help you today?")


def test_same_prompt_and_seed_same_answer_and_seed_changes_it() -> None:
    prompt = "Explain what an SLO burn rate is"
    assert ask(prompt, seed=7) == ask(prompt, seed=7)
    answers = {ask(prompt, seed=s) for s in range(8)}
    assert len(answers) > 1


def test_answers_end_on_a_whole_sentence_and_never_open_with_error() -> None:
    prompts = [f"Question {i}: how should we size the {w} tier?" for i, w in enumerate("abcdef")]
    prompts += ["Error rates are up, why?", "hi", "List the risks", "Write code to retry"]
    for seed in range(25):
        for p in prompts:
            text = ask(p, seed=seed)
            assert not text.lower().startswith("error"), text
            assert text.rstrip().endswith((".", "!", "?", ":", "```")), text


def test_exact_token_count_for_any_length() -> None:
    rng = random.Random(3)
    for n in range(1, 400):
        pieces = simulated_text.compose("Explain how the cache works", rng, n)
        assert len(pieces) == n and count_tokens("".join(pieces)) == n


def test_output_length_keeps_the_simulators_uniform_shape() -> None:
    lengths = []
    provider = SimulatedProvider(FAST)
    for i in range(400):
        request = ChatRequest(model="m", messages=(Message("user", f"Explain topic {i}"),))
        lengths.append(asyncio.run(provider.chat(request)).usage.output_tokens)
    lo, hi = FAST.min_output_tokens, FAST.max_output_tokens
    assert min(lengths) >= lo and max(lengths) <= hi
    # Uniform over [lo, hi]: the mean sits in the middle and both ends are reached.
    assert abs(statistics.mean(lengths) - (lo + hi) / 2) < 8
    assert min(lengths) < lo + 10 and max(lengths) > hi - 10


def test_max_tokens_cuts_the_same_answer() -> None:
    full = ask("Explain how prompt caching reduces latency", seed=1)
    cut = ask("Explain how prompt caching reduces latency", seed=1, max_tokens=8)
    assert full.startswith(cut) and count_tokens(cut) == 8


def test_the_last_user_message_is_the_prompt() -> None:
    messages = (
        Message("system", "You are terse. Write code."),
        Message("user", "Hello"),
        Message("assistant", "Hi."),
        Message("user", "Summarise the meeting notes about pricing"),
    )
    assert simulated_text.last_user_text(messages).startswith("Summarise")
