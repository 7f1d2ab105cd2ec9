"""Believable offline answers: short, on-topic replies built from the prompt by intent templates.

A stakeholder watching a demo reads the answers, so they must read like a model's: the
simulator guesses what the user asked for (greet, summarise, explain, list, code, or a plain
answer), takes the topic and a few keywords from the prompt, and fills that intent's
templates. The length in tokens is decided by the caller (the latency and token shapes stay
those of the simulator); compose() packs whole sentences to exactly that many tokens, so the
text ends on a full sentence, and a shorter cap simply cuts it (finish_reason "length").

Everything here is a pure function of the prompt and a seeded random.Random.
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from collections.abc import Sequence

from genai_service.providers.base import Message

Intent = str  # greet | summarise | explain | list | code | answer

_INTENTS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    ("code", re.compile(r"\b(code|function|script|snippet|implement|python|sql|regex|class)\b")),
    ("summarise", re.compile(r"\b(summari[sz]e|summary|tl;?dr|condense|key points of)\b")),
    ("list", re.compile(r"\b(list|steps|ways|ideas|options|top \d+|bullet|checklist)\b")),
    ("explain", re.compile(r"\b(explain|why|how does|how do|what is|what are|describe)\b")),
    ("greet", re.compile(r"^\W*(hi|hello|hey|good (morning|afternoon|evening)|greetings)\b")),
)
# Leading words that ask for something rather than name the topic.
_ASKING = re.compile(
    r"^(?:(?:please|kindly|can you|could you|would you|will you|i want you to|i need you to|"
    r"help me|tell me|show me|give me|write|explain|summari[sz]e|list|describe|implement|"
    r"create|make|draft|me|us|a|an|the|some|short|quick|brief|simple|small|about|of|on|for|"
    r"to|how|what|why|is|are|does|do|function|code|script|summary|steps|ways|ideas|"
    r"that|which|in|python|sql|i|we)\b[\s,:]*)+",
    re.IGNORECASE,
)
_STOP_WORDS = (
    "a an and are as at be been but by can could do does for from has have how i if "
    "in into is it its me my of on or our please should so than that the their them "
    "then there these they this those to us was we were what when where which while "
    "who why will with would you your about also just more most some such very write "
    "explain summarise summarize list give tell show describe make create draft code "
    "function script short quick brief simple small following text python sql "
    "javascript bash shows "
)
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]{2,29}")

_TEMPLATES: dict[Intent, tuple[str, ...]] = {
    "greet": (
        "Hello! How can I help you today?",
        "I can explain a concept, summarise a text, draft a list or sketch some code.",
        "For example, ask me to summarise a report or to explain a metric on a dashboard.",
        "Tell me what you are working on and I will keep the answer short.",
    ),
    "summarise": (
        "Here is a short summary.",
        "The text is mostly about {kw1} and {kw2}.",
        "It also mentions {kw3}, though more briefly.",
        "The overall message is to go step by step rather than make one big change.",
        "The practical takeaway is to act on {kw1} first and come back to {kw2} later.",
    ),
    "explain": (
        "Here is the short version of {topic}.",
        "The key idea is how {kw1} and {kw2} affect each other.",
        "Start from {kw1}: once that is clear, the rest follows.",
        "In practice the effect is easiest to see when load or input size changes.",
        "A common mistake is to look at {kw1} alone, without {kw2}.",
        "To check it yourself, measure before and after a change and compare.",
    ),
    "list": (
        'A few points on "{topic}":',
        "\n1. Start with {kw1} and agree on what good looks like.",
        "\n2. Look at {kw2} next, since it usually limits the rest.",
        "\n3. Keep {kw3} simple until you have numbers to justify more.",
        "\n4. Write down what you decided and why.",
        "\n5. Review the result after a week and adjust.",
    ),
    "code": (
        "Here is a small example for {topic}:",
        "\n```python\ndef {ident}(items):\n    return [item for item in items if item]\n```\n",
        "\nIt keeps the logic in one function, so it is easy to test.",
        "Rename {ident} to match your code base and add the checks your inputs need.",
    ),
    "answer": (
        "Good question about {topic}.",
        "The short answer is that it depends on {kw1} and on how much {kw2} you can accept.",
        "Most teams start with {kw1}, then tune {kw2} once they see real traffic.",
        "If {kw3} matters to you, check it early, because it is harder to change later.",
    ),
}
_GENERAL = (
    "Start small and check the result before you scale it up.",
    "Measure before and after, so the change is visible.",
    "Keep an eye on cost as usage grows, since it tends to creep up quietly.",
    "If anything is unclear, ask and I can go deeper.",
    "A good first step is to write down what success looks like.",
    "Try it on a small sample first; it is cheaper to learn there.",
    "Check the edge cases too, because that is where surprises usually hide.",
    "It is worth keeping the first version simple and improving it with real feedback.",
    "Share the plan with the people it affects before you change anything.",
    "When in doubt, prefer the option that is easier to undo.",
    "That is the gist of it.",
    "Happy to go into more detail.",
    "Let me know if you want an example.",
    "Hope that helps.",
    "Good luck!",
    "Thanks!",
)


def last_user_text(messages: Sequence[Message]) -> str:
    for m in reversed(messages):
        if m.role == "user":
            return m.content
    return messages[-1].content if messages else ""


def intent(prompt: str) -> Intent:
    head = prompt.strip().lower()[:400]
    for name, pattern in _INTENTS:
        if pattern.search(head):
            return name
    return "answer"


def topic(prompt: str) -> str:
    """The first line's subject, without the words that only ask (at most eight words)."""
    first = prompt.strip().splitlines()[0] if prompt.strip() else ""
    first = re.split(r"(?<=[.?!])\s|:", first, maxsplit=1)[0]
    rest = _ASKING.sub("", first.strip()).strip(" ?.!,;")
    words = [w[:30] for w in rest.split()[:8]]
    return " ".join(words) or "your question"


def keywords(prompt: str, n: int = 3) -> list[str]:
    words = [w.lower() for w in _WORD.findall(prompt[:4000])]
    counts = Counter(w for w in words if w not in _STOP)
    # Frequent first; among equals the longer word, which is more often the subject.
    ranked = sorted(counts, key=lambda w: (-counts[w], -len(w)))
    fallback = ["the goal", "the constraints", "the details"]
    return (ranked + fallback)[:n] if len(ranked) < n else ranked[:n]


def _fill(template: str, fields: dict[str, str]) -> str:
    return template.format(**fields)


def sentences(prompt: str) -> list[str]:
    """The intent's sentences, in order, filled from the prompt."""
    kind = intent(prompt)
    kw = keywords(prompt)
    subject = topic(prompt)
    ident = re.sub(r"\W+", "_", " ".join(subject.split()[:3])).strip("_").lower() or "process"
    fields = {"topic": subject, "kw1": kw[0], "kw2": kw[1], "kw3": kw[2]}
    fields["ident"] = ident if ident[0].isalpha() else f"f_{ident}"
    return [_fill(t, fields) for t in _TEMPLATES[kind]]


# One token as tokens.py counts them (a word or one punctuation mark), with the space before it.
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])")


def tokens_with_space(text: str) -> list[str]:
    """One piece per token (tokens.py's definition), each with the whitespace before it."""
    return _PIECE.findall(text)


@functools.lru_cache(maxsize=256)
def _prompt_sentences(prompt: str) -> tuple[tuple[str, ...], ...]:
    # Load tests and demos repeat prompts. Bounded, and in this process's memory only.
    return tuple(tuple(tokens_with_space(s)) for s in sentences(prompt))


_GENERAL_TOKENS = tuple(tuple(tokens_with_space(s)) for s in _GENERAL)


def _subset_sums(lengths: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """For every reachable total, one set of sentence indexes with exactly that many tokens
    (computed once: the general sentences are fixed)."""
    reach: dict[int, tuple[int, ...]] = {0: ()}
    for i, n in enumerate(lengths):
        for total, picked in list(reach.items()):
            reach.setdefault(total + n, (*picked, i))
    return reach


_GENERAL_SUMS = _subset_sums([len(t) for t in _GENERAL_TOKENS])


def _pick_general(left: int, rng: random.Random) -> list[int]:
    """General sentences adding up to exactly left tokens, or as close below as they can."""
    best = next(t for t in range(left, -1, -1) if t in _GENERAL_SUMS)
    picked = list(_GENERAL_SUMS[best])
    rng.shuffle(picked)
    return picked


def compose(prompt: str, rng: random.Random, n_tokens: int) -> list[str]:
    """Exactly n_tokens stream pieces of an on-topic answer that ends on a whole sentence
    whenever the intent's and the general sentences can make up that length."""
    chosen: list[list[str]] = []
    left = n_tokens
    for sentence_tokens in _prompt_sentences(prompt[:4000]):
        toks = list(sentence_tokens)
        # Leaving exactly one token would leave nothing that can end the answer cleanly.
        if len(toks) <= left and left - len(toks) != 1:
            chosen.append(toks)
            left -= len(toks)
    for i in _pick_general(left, rng):
        chosen.append(list(_GENERAL_TOKENS[i]))
        left -= len(_GENERAL_TOKENS[i])
    prose = [k for k, toks in enumerate(chosen) if toks[0].lstrip(" ")[:1].isalpha()]
    if left == 1 and prose:
        # One token short: "So" in front of the last plain sentence reads naturally.
        k = prose[-1]
        first = chosen[k][0].lstrip(" ")
        if first != "I":
            first = first[:1].lower() + first[1:]
        chosen[k] = ["So", " " + first, *chosen[k][1:]]
        left = 0
    if left:
        # More tokens asked for than the sentences hold (a large max_output_tokens): repeat
        # the general advice, cut to fit.
        flat = [t for toks in _GENERAL_TOKENS for t in toks]
        chosen.append((flat * (left // len(flat) + 1))[:left])
    pieces: list[str] = []
    after_line = False  # the previous sentence was a list item or code: start a new line
    for i, toks in enumerate(chosen):
        for j, piece in enumerate(toks):
            if j == 0:
                piece = piece.lstrip(" ")
                if i and not piece.startswith("\n"):
                    piece = ("\n" if after_line else " ") + piece
            pieces.append(piece)
        after_line = toks[0].startswith("\n")
    return pieces[:n_tokens]
