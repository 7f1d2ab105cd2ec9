# Regex tables and the homoglyph map are long lines and look-alike letters by nature.
# ruff: noqa: E501, RUF001
"""Prompt-injection scoring: a transparent, rule-based scorer over incoming user text.

Each signal family (instruction override, system-prompt extraction, role-play jailbreak, ...)
has a weight; the families found are combined as independent evidence (noisy-OR), so one strong
signal flags and two families together usually block. Attackers hide phrases, so the text is
scored in several views: Unicode-normalised (NFKC, accents and zero-width/format characters
removed, Cyrillic/Greek homoglyphs folded to Latin), leetspeak folded, letter-spaced words
joined, reversed, rot13, URL-decoded, and any base64 or hex blob decoded and scored again. A hit
found only in a disguised view is itself evidence (the "obfuscation" signal).

Questions *about* prompt injection ("what does 'ignore previous instructions' mean?") are
common and benign: when only one family fires inside such a question, the score is damped. So
it is when that family fires only inside a quoted sample or a sentence reporting what happened,
which the prompt asks about or warns of: a phrase mentioned, not used. An attack written in the
user's own words beside a quote is not damped. Several families together are damped only when
every one sits in samples the prompt hands over to analyse (naming them as attacks, or without
processing a document), review as code or translate, and nothing asks the assistant to carry
them out; samples that act through tools or send data out never are.

A phrase ruled out is not used: one forbidden ("never reveal your system prompt"), the case a
rule is about ("if a user asks you to ignore your instructions"), an example named, or
instructions owned by pasted content do not count. Operator-supplied roles (system, developer)
get their own policy, never none: the headings, task-setting and "the assistant must ..."
sentences operators write are not evidence there; every other family is.

This is a heuristic first line, not a classifier: it is cheap (pure regex, bounded input) and
its signals are named, so a flagged request can be explained without storing its text.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import codecs
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

# score_text reads at most MAX_CHARS (head and tail). A request is scored whole, in overlapping
# chunks of CHUNK_CHARS, up to REQUEST_BUDGET_CHARS per request: past that, the chunks holding
# a word injections use (or a disguise) first, then an even sample of the rest, every text's
# first and last chunk always included. Scoring costs 1-20 µs a character depending on the
# text, so a chunk is at most tens of milliseconds, and the event loop runs between chunks.
MAX_CHARS = 16_000
CHUNK_CHARS = 1_000
CHUNK_OVERLAP = 160
REQUEST_BUDGET_CHARS = 96_000
_MAX_DEPTH = 2


class Action(StrEnum):
    ALLOW = "allow"
    FLAG = "flag"
    BLOCK = "block"


@dataclass(frozen=True)
class Verdict:
    score: float
    signals: tuple[str, ...]
    action: Action
    # Where a non-zero score came from: message roles and/or "template_variable".
    sources: tuple[str, ...] = ()


# ------------------------------------------------------------------ normalisation
_HOMOGLYPHS = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ɡ": "g", "ո": "n", "ս": "u",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "γ": "y",
        # Latin look-alikes that NFKC keeps
        "ı": "i", "ȷ": "j", "ℓ": "l",
    }
)  # fmt: skip
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "l"})  # fmt: skip
_INVISIBLE_EXTRA = {"\u00ad", "\u034f", "\u115f", "\u1160", "\u3164", "\uffa0"}
_SPACED = re.compile(r"\b(?:[a-z][ ._\-*/]{1,3}){3,}[a-z]\b")
_WS = re.compile(r"\s+")
_LEETY = re.compile(r"[a-z][0-9@$!|]+[a-z]|\b[0-9@$!|][a-z]{2,}")
_ANCHOR = re.compile(
    r"ignor|disregard|forget|overrid|bypass|instruction|prompt|rules|guideline|restriction|"
    r"filter|polic|jailbr|anything now|mode\b|pretend|unfiltered|uncensored|unrestricted|"
    r"reveal|system|secret|password|developer|admin|ethic|safety|safeguard|guardrail|freed|"
    r"in character|refuse|above|verbatim|decode|execute|obey|conversation|api key|credential|"
    r"<\||\[inst|<<sys|anweisung|instruc|regl|指令|提示"
)
_LATIN = re.compile(r"[a-z]")


def _strip_invisible(text: str) -> tuple[str, bool]:
    out = []
    found = False
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf" or ch in _INVISIBLE_EXTRA or 0xFE00 <= ord(ch) <= 0xFE0F:
            found = True
            continue
        out.append(ch)
    return "".join(out), found


def _mixed_script(text: str) -> bool:
    for word in text.split():
        if len(word) < 3 or not _LATIN.search(word.lower()):
            continue
        if any(ord(c) > 0x24F and unicodedata.category(c).startswith("L") for c in word):
            return True
    return False


def _styled(text: str) -> bool:
    # Fullwidth Latin, mathematical alphanumerics and enclosed letters read as plain text to a
    # model but dodge naive filters.
    return any(
        0xFF01 <= o <= 0xFF5E
        or 0x1D400 <= o <= 0x1D7FF
        or 0x2460 <= o <= 0x24FF
        or 0x1F100 <= o <= 0x1F1FF
        for o in map(ord, text)
    )


def _fold(text: str) -> tuple[str, bool]:
    """Lower-case text with disguises undone (whitespace kept), and whether any was present."""
    if text.isascii():
        # Nothing to undo in plain ASCII (the usual case); skip the per-character work.
        return text.lower(), False
    text, invisible = _strip_invisible(text)
    mixed = _mixed_script(unicodedata.normalize("NFKC", text))
    decomposed = unicodedata.normalize("NFKD", text)
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFKC", no_marks).translate(_HOMOGLYPHS).casefold()
    return folded.translate(_HOMOGLYPHS), invisible or mixed or _styled(text)


def _collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def normalise(text: str) -> tuple[str, bool]:
    """Plain lower-case text with disguises undone, and whether any disguise was present."""
    folded, disguised = _fold(text)
    return _collapse(folded), disguised


def _join_run(run: str) -> str:
    # The commonest separator splits letters ("i.g.n.o.r.e y.o.u" -> "."); any other one, or a
    # longer gap, separates words.
    parts = re.split(r"([ ._\-*/]{1,3})", run)
    seps = parts[1::2]
    primary = max(set(seps), key=seps.count)
    return "".join(p if i % 2 == 0 else ("" if p == primary else " ") for i, p in enumerate(parts))


def _join_spaced(text: str) -> str:
    return _SPACED.sub(lambda m: _join_run(m.group(0)), text)


# ------------------------------------------------------------------ signal families
_Q_ANY = r"(?:previous|prior|above|earlier|whatever|preceding|foregoing|former|initial|original|old|existing|current|given|default|system|developer|safety|all|any|every|each|the|your|these|those|of|its|other|and|ethical|openai|anthropic|content|usual|normal|standard|built-in|moderation|model's|assistant's)"
_Q_STRONG = r"(?:previous|prior|above|earlier|preceding|foregoing|former|initial|original|system|developer|your|its|safety|ethical|openai|anthropic)"
_OVERRIDE_VERB = r"(?:ignore|ignoring|disregard|disregarding|forget|forgetting|override|bypass|abandon|neglect|discard|set aside|throw out|pay no (?:attention|heed) to|stop following|(?:do not|don't|dont|no longer|never) (?:follow|obey|adhere to|comply with|listen to))"
_AI_OBJECT = r"(?:instructions?|prompts?|guidelines?|guidance|directives?|programming|guardrails?|training|system message|commands|orders)"
_GENERIC_OBJECT = r"(?:rules|restrictions|constraints|polic(?:y|ies)|limitations|filters|safeguards|context|directions|conditioning|conversation|messages?|text|everything)"

# "The system message in the Windows event viewer", "the instructions for this shelf": the
# object belongs to something other than the assistant or this conversation.
_OTHER_OWNER = r"(?! (?:in|of|for|from|on|inside) (?:the |a |an |my |our |this |that )?(?!(?:you|your|yours|this|chat|conversation|session|thread|assistant|model|bot|ai|llm|above|response|reply|answer|output|code|json|markdown|full|plain|english|verbatim)\b)\w)"
_MODEL_MUST = r"\b(?:the|any|every|this|all) (?:ai|assistant|llm|language model|model|agent|chatbot|bot)s?(?: \w+){0,2}? (?:must|should|shall|has to|needs to|is required to|will|is to) (?:now |also |instead |immediately |first |always |from now on )*"
_BAD_PERSONA = r"(?:an? |the )?(?:\w+ )?(?:unfiltered|uncensored|unrestricted|amoral|unethical|jailbroken|unaligned|unshackled|unchained|rogue|evil|malicious) (?:ai|assistant|model|chatbot|bot|version of (?:yourself|you)|llm|persona|alter ego)\b"

_PATTERNS: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "instruction_override": [
        (re.compile(rf"\b{_OVERRIDE_VERB}\b(?: {_Q_ANY}){{0,4}} {_AI_OBJECT}\b"), 0.75),
        (
            re.compile(
                rf"\b{_OVERRIDE_VERB}\b(?: {_Q_ANY}){{0,3}} {_Q_STRONG}(?: {_Q_ANY}){{0,2}} "
                rf"{_GENERIC_OBJECT}\b"
            ),
            0.7,
        ),
        (
            re.compile(
                rf"\b{_OVERRIDE_VERB} (?:everything|all) (?:above|before|you (?:were|have been) told)"
            ),
            0.7,
        ),
        (
            re.compile(
                r"\b(?:instead|rather),? (?:of (?:that|your task)|you (?:will|must|should))\b"
            ),
            0.25,
        ),
        (
            re.compile(
                r"\b(?:scratch|drop|ditch|toss|wipe|erase)\b(?: (?:all|any|of|the))* (?:your(?: \w+)? (?:instructions|guidelines|guidance|directives|programming|guardrails|rules|system prompt|training)|(?:the )?(?:above|previous|prior|earlier|original|initial|system|safety|ethical)(?: \w+)? (?:instructions|guidelines|guidance|directives|programming|guardrails|system prompt))\b"
            ),
            0.7,
        ),
        (
            re.compile(
                r"\b(?:everything|anything|all|whatever) (?:that )?you (?:were|'ve been|have been|got) (?:told|given|instructed|taught)\b[^.\n]{0,40}\b(?:no longer|(?:does|do)(?:n't| not)) (?:counts?|appl(?:y|ies)|matters?|holds?)\b"
            ),
            0.7,
        ),
        (
            re.compile(
                r"\b(?:your|the|all|any|everything|instructions|rules|guidelines|task)\b(?: \S+){0,6}? (?:previous|prior|old|original|initial|earlier|above|before (?:this|that|now)|you (?:got|received|were given|have been given)|so far)\b(?: \S+){0,3}? (?:are|is|were|was|have been|has been) (?:now )?(?:void|cancel+ed|revoked|obsolete|outdated|no longer (?:valid|relevant|active|in effect)|replaced|overridden|null|invalid|lifted|suspended|a test|just a test|fake|irrelevant|deprecated)\b"
            ),
            0.75,
        ),
        (
            re.compile(
                r"\b(?:your|the|any|all|these|openai's|anthropic's)?(?: \S+)? ?(?:rules|guidelines|restrictions|filters|polic(?:y|ies)|ethics|system (?:message|prompt)|instructions|safeguards|guardrails) (?:don't|do not|no longer|won't|will not|doesn't|does not|shall not|need not) (?:appl(?:y|ies)|matters?|exists?|counts?|binds? you|restricts? you)\b"
            ),
            0.65,
        ),
        (
            re.compile(
                r"\b(?:vergiss|ignoriere|missachte)\b.{0,40}\b(?:anweisungen|regeln|instruktionen|vorgaben)\b|\bignor(?:e|ez|er)\b.{0,30}\b(?:les|vos|tes) (?:instructions|consignes|r[eè]gles)\b|\b(?:ignora|olvida)\b.{0,30}\b(?:las|tus|sus) (?:instrucciones|reglas|indicaciones)\b|\b(?:ignora|dimentica)\b.{0,30}\b(?:le|tutte le) (?:istruzioni|regole)\b|\b(?:ignore|esqueça|esqueca)\b.{0,30}\b(?:as|todas as) (?:instruções|instrucoes|regras)\b|(?:忽略|无视|忘记|忘掉).{0,8}(?:指令|指示|说明|规则|提示)"
            ),
            0.75,
        ),
    ],
    "new_instructions": [
        (
            re.compile(
                r"\b(?:new|updated|revised|real|actual|true|secret|hidden|additional|important|urgent) (?:instructions?|rules|directives?|system prompt|orders|task)\s*(?::|-|follow|are|is\b)"
            ),
            0.45,
        ),
        (
            re.compile(
                r"\bfrom (?:now|this (?:point|moment)) on,? (?:you|your|act|respond|answer|only|always|do not|don't|ignore|forget)\b"
            ),
            0.4,
        ),
        (re.compile(r"\byou (?:are|will be) (?:now|no longer)\b"), 0.35),
        (
            re.compile(
                r"\byour (?:instructions|rules|guidelines|system prompt|programming|directives|configuration|policy|policies) (?:have|has) (?:just )?been (?:updated|changed|replaced|rewritten|revised|modified|overridden|lifted|removed)\b"
            ),
            0.5,
        ),
        (
            re.compile(
                r"\b(?:your|the) (?:new|only|real|true) (?:task|goal|purpose|objective|job|role) (?:is|now is|will be)\b"
            ),
            0.45,
        ),
    ],
    "prompt_extraction": [
        (
            re.compile(
                rf"\b(?:reveal|show|print|display|output|repeat|recite|tell me|give me|share|leak|dump|expose|write out|spell out|paste|copy|list|provide|return|echo|translate|summari[sz]e|encode|what (?:is|are|was|were))\b(?: \S+){{0,5}} (?:(?:your|the|its|this|my|initial|original|hidden|secret|confidential|internal|full|entire|exact|complete|current|raw) )+(?:system (?:prompt|message|instructions)|(?:initial|original|hidden|secret|confidential|internal|developer|pre-?)(?: |-)?(?:prompt|instructions|message|rules|directives|configuration)|(?:prompt|instructions|rules|guidelines|directives|configuration) (?:you were given|above|before this)|pre-?prompt|meta-?prompt)\b{_OTHER_OWNER}"
            ),
            0.7,
        ),
        (
            re.compile(
                r"\b(?:repeat|print|output|recite|copy|reproduce|write|show|return|echo)\b(?: \S+){0,3} (?:the )?(?:words|text|everything|content|instructions|lines|sentences?|message|prompt)s? (?:above|before (?:this|my|the)|that came before|preceding|at the (?:start|beginning|top))"
            ),
            0.7,
        ),
        (
            re.compile(
                rf"\bwhat (?:is|are|was|were) (?:your|the) (?:system prompt|instructions|initial instructions|original instructions|hidden instructions|rules you (?:were|have been) given|exact instructions)\b{_OTHER_OWNER}"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:starting|beginning|begin|start) with (?:the words? )?[\"'“‘]?you are\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:prompt|instructions|rules|guidelines|directives|configuration)\b (?:that )?(?:(?:the |your )?(?:developers?|creators?|operators?|admins?|company|owners?|programmers?) )?(?:gave you|have given you|wrote for you|provided you|gave to you|set for you)\b"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:instructions|rules|prompt|guidelines)\b (?:were you|you were|have you been|you've been|you have been|did you get|you got|did you receive) (?:given|told|provided|assigned)?"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:reveal|show|print|display|output|repeat|recite|tell me|give me|share|leak|dump|expose|write out|spell out|paste|list|summari[sz]e|translate|continue) (?:me )?(?:all |the rest |the remainder )?(?:of )?your (?:(?:real|actual|true|own|original|full|exact|hidden|secret|internal|confidential) )?(?:one|instructions|prompt|rules|guidelines|directives|configuration|system prompt|context(?: window)?|memory)\b"
            ),
            0.65,
        ),
        (
            re.compile(
                r"\bwhat (?:were|have) you (?:been )?(?:told|instructed|asked) (?:not to|never to|to keep|to hide)\b|\byou (?:were|have been|are) (?:told|instructed|asked|programmed) (?:not to (?:reveal|share|tell|disclose)|to (?:protect|keep secret|hide|guard|never reveal))"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\bdump (?:your|the|its) (?:context|memory|conversation|prompt|configuration|config|instructions|rules|system)"
            ),
            0.55,
        ),
        # A transcript turn in which the model hands over its own prompt, for it to continue.
        (
            re.compile(
                r"\bmy (?:full |hidden |secret |original |initial )?(?:system prompt|system message|instructions|initial prompt) (?:is|are|reads?|says?)\s*:|\b(?:here (?:is|are)|here's|below (?:is|are)) (?:my|the assistant's) (?:(?:full|complete|entire|hidden|secret|confidential|original|initial|internal|exact) )*(?:system (?:prompt|message|instructions)|instructions|prompt|rules|configuration)\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:repeat|print|recite|tell me|output|write out|quote|list|reproduce)\b[^.\n]{0,20}\b(?:everything|all|whatever) (?:that )?you (?:were|'ve been|have been) (?:told|given|instructed)\b"
            ),
            0.65,
        ),
        (
            re.compile(
                r"\bwhat (?:were|was|have) you (?:been )?(?:told|given|instructed|asked|programmed)\b[^.?\n]{0,40}\b(?:(?:before|prior to) (?:i|we|this (?:chat|conversation|session)|the (?:chat|conversation|session)|you (?:met|started|were deployed))|at the start|initially|originally)\b"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:secret|password|passphrase|flag)s? (?:from|in|inside|within|hidden in) your (?:instructions|prompt|system prompt|rules|context)\b|\b(?:spell|write|say|give|tell|encode|reverse|print)\b[^.\n]{0,30}\b(?:secret|password|passphrase|flag)\b[^.\n]{0,40}\b(?:backwards|in reverse|reversed|letter by letter|one letter at a time|with spaces between|in base64|as an acrostic|in pig latin)\b"
            ),
            0.55,
        ),
        (re.compile(r"\bverbatim\b"), 0.2),
        (
            re.compile(
                r"\b(?:in a|inside a|into a) (?:code ?block|markdown block)\b.{0,40}\b(?:instructions|prompt|above)\b"
            ),
            0.3,
        ),
    ],
    "roleplay_jailbreak": [
        (re.compile(r"\bdo anything now\b"), 0.85),
        (
            re.compile(
                r"\b(?:you are|you're|act as|roleplay as|role-play as|pretend (?:to be|you are)|answer as|respond as|simulate|(?<!-)play(?: as)?|one as)\b[^\n]{0,80}\b(?:no (?:rules|laws|limits|restrictions|ethical limits|morals)|lawless|never (?:refuses|says no|adds warnings|holds? back)|says (?:whatever|anything) (?:he|she|it|they) wants?|answers? (?:everything|anything|every question)|ignores? (?:every|all|any) \w+|does the opposite|opposite of (?:your|its) rules|what normal ai won't|free from all restrictions)"
            ),
            # A persona alone is a game; with a harmful request (or another signal) it flags.
            0.45,
        ),
        (
            re.compile(
                r"\bgrand\w*\b[^\n]{0,80}\b(?:recipe|steps|synthesi[sz]e|instructions|formula)\b[^\n]{0,40}\b(?:tnt|explosives?|meth\w*|napalm|bombs?|weapons?|poison|malware)\b"
            ),
            0.65,
        ),
        (
            re.compile(
                r"\b(?:character|villain|ai|persona)\b[^\n]{0,40}\bno ethical limits\b|\bin real technical detail\b|\bwith real (?:commands|code|keygen code)\b"
            ),
            0.35,
        ),
        (
            re.compile(
                r"\b(?:god|jailbreak|jailbroken|unrestricted|evil|chaos|dude|opposite|unfiltered|uncensored|no[- ]filter|anything[- ]goes|dan) mode\b"
            ),
            0.7,
        ),
        # "Developer mode" is a real feature of browsers and phones; only aimed at the model it is
        # the well-known jailbreak.
        (
            re.compile(
                r"\b(?:you|chatgpt|gpt|claude|ai|assistant|model|llm)\b.{0,40}\bdeveloper mode\b|\bdeveloper mode\b.{0,60}\b(?:you|chatgpt|never refuses|responses?|policies|censor\w*)\b"
            ),
            0.7,
        ),
        (
            re.compile(
                r"\ban? (?:\w+ )?(?:ai|assistant|model|chatbot|bot|llm|version of (?:yourself|you))\b.{0,30}\b(?:with no|with zero|with(?:out)? any|without|free of|that has no|who has no|that ignores|that doesn't have|that does not have) (?:restrictions|rules|filters|filtering|limits|limitations|censorship|guidelines|ethics|morals|safety|guardrails|content polic\w+)\b"
            ),
            0.65,
        ),
        (
            re.compile(
                r"\b(?:ai|assistant|model|chatbot|bot|you|yourself)\b.{0,20}\b(?:freed|liberated|released|unshackled|free) from (?:all |any |its |your |the )?(?:rules|restrictions|limits|constraints|guidelines|filters|confines|programming)\b"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\bif you (?:had|were|didn't have|did not have|could ignore|weren't bound by) (?:no |without |free of |any |your )?(?:restrictions|rules|filters|limits|guidelines|ethics|programming|safety)\b"
            ),
            0.5,
        ),
        (
            re.compile(
                r"\b(?:answer|respond|reply|speak|act|talk) as (?:that|this|the|your|an?) (?:other |unfiltered |uncensored |unrestricted |evil |true |real |dark )?(?:version of yourself|alter ego|shadow self|unfiltered|uncensored)\b"
            ),
            0.45,
        ),
        (
            re.compile(
                r"\b(?:act as|pretend to be|pretend you are|you are|be|play|roleplay as|role-play as) my (?:late |deceased |dead )?grand\w+ (?:who )?(?:used to|would|always)\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"(?<!\ba )(?<!\bthe )(?<!\bthis )\b(?:pretend|imagine|act|behave|role-?play|play the (?:role|part)|you are|you're|simulate|become|be)\b.{0,80}\b(?:without|no|free (?:of|from)|not (?:bound|restricted|limited) by|unbound by|unconstrained by|ignores?|doesn't have|does not have|has no|have no)(?: any)? (?:restrictions|rules|limits|limitations|filters|filtering|censorship|guidelines|ethics|ethical (?:guidelines|constraints|boundaries)|morals|morality|safety|polic(?:y|ies)|content polic(?:y|ies)|boundaries|guardrails)\b"
            ),
            0.7,
        ),
        (
            re.compile(
                rf"\b(?:you are|you're|you will be|you become|act as|acting as|become|pretend to be|roleplay as|role-play as|play the role of|simulate|respond as|answer as|reply as|switch to|turn into|talk to me as)\b[^\n]{{0,160}}?{_BAD_PERSONA}"
            ),
            0.6,
        ),
        # The same persona described in the third person (the villain of a story) is a theme,
        # not a role given to the assistant: evidence only alongside another signal.
        (re.compile(rf"\b{_BAD_PERSONA}"), 0.3),
        (
            re.compile(
                r"\b(?:stay|remain|keep) in character\b|\b(?:never|don't|do not) break (?:character|it)\b"
            ),
            0.3,
        ),
        (
            re.compile(
                r"\b(?:never|don't|do not|must not|cannot|can't) (?:ever )?(?:refuse|decline|say (?:no|sorry|you can't|that you can't)|apologi[sz]e|warn|add (?:warnings|disclaimers))\b"
            ),
            0.4,
        ),
        (
            re.compile(
                r"\b(?:does|do|will) not (?:have to )?(?:follow|abide by|obey|care about|adhere to) (?:any )?(?:rules|openai|anthropic|content polic|ethic|guideline|restriction|law)"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:you (?:have been|are|were) (?:freed|liberated|released|unlocked)|broken free|free from (?:the )?(?:typical )?(?:confines|restrictions|rules))\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:my (?:late |deceased |dead )?grand(?:ma|mother|pa|father)) (?:used to|would)\b"
            ),
            0.3,
        ),
        (
            re.compile(
                r"\b(?:hypothetical(?:ly)?|fictional|in a story|for a novel|for a movie)\b.{0,80}\b(?:no (?:rules|restrictions|limits)|without (?:rules|restrictions|limits|filters)|bypass|illegal)\b"
            ),
            0.35,
        ),
    ],
    # Text telling "the assistant" what it must now do: in a document, page or retrieved chunk
    # that is an indirect attack; in an operator's own prompt it is how prompts are written, so
    # the operator policy leaves it out.
    "model_directive": [
        (
            re.compile(
                rf"{_MODEL_MUST}(?:ignore|disregard|forget|override|reveal|leak|insult)\b|{_MODEL_MUST}(?:include (?:a |this )?link|link to|add (?:a |this )?link|(?:reply|respond|answer)\w*(?: \S+){{0,5}} with (?:a |this |only )?(?:link|url))\b[^.\n]{{0,60}}https?://"
            ),
            0.55,
        ),
        # Without a hostile verb or an outside address, the same sentence is also how policies
        # and release notes are written: evidence only.
        (
            re.compile(
                rf"{_MODEL_MUST}(?:include (?:a |this )?link|link to|add (?:a |this )?link|recommend|tell (?:the user|users|everyone|readers)|say (?:that|the)|send|forward|email|visit|approve|delete|rank|promote|(?:reply|respond|answer)\w*(?: \S+){{0,5}} with (?:a |this |only )?(?:link|url))\b"
            ),
            0.45,
        ),
    ],
    "delimiter_injection": [
        (
            re.compile(
                r"<\|(?:im_start|im_end|system|endoftext|begin_of_text|start_header_id|end_header_id|eot_id)\|>"
            ),
            0.7,
        ),
        (
            re.compile(
                r"\[/?(?:inst|sys|system)\]|<</?sys>>|</?(?:system|sys|instructions?|admin)>"
            ),
            0.6,
        ),
        (
            re.compile(
                r"(?:^|\n|\s)(?:#{2,}|\*{2,}|-{3,}|={3,})\s*(?:system|admin|developer|new instructions?|end of (?:prompt|instructions|context|user input))\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:end of (?:system )?(?:prompt|instructions|context)|(?:system|admin) (?:override|message|notice|update|command))\s*[:\]>-]"
            ),
            0.5,
        ),
    ],
    "safety_bypass": [
        (
            re.compile(
                r"\b(?:answer|respond|reply)\w*\b[^.\n]{0,40}\b(?:without (?:any )?(?:restrictions|filters|filtering|censorship|guidelines|rules)|with no (?:restrictions|filters|filtering|censorship|guidelines|rules))\b"
            ),
            # Evidence beside another signal: people ask for plain answers too.
            0.4,
        ),
        (
            re.compile(
                r"\b(?:bypass|disable|turn off|deactivate|remove|circumvent|get around|evade|switch off|ignore|override|lift|drop)\b(?: (?:your|the|all|any|my|its))? (?:(?:safety|content|ethical|moral|moderation|security|built-in|internal|openai|anthropic)(?: |-))?(?:filters?|filtering|guardrails?|restrictions|safeguards|safety (?:features|measures|protocols|checks|settings|guidelines)|censorship|moderation|alignment|ethics|limitations)\b"
            ),
            0.45,
        ),
        (
            re.compile(
                r"\b(?:safeguards|filters|guardrails|restrictions|safety (?:features|measures|settings|checks|protocols)|moderation|content polic\w+|ethics|rules) (?:are|is|have been|has been|were|was) (?:now |temporarily |all )?(?:suspended|disabled|lifted|off|removed|deactivated|turned off|bypassed|waived|switched off)\b"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\bwithout (?:your|the|any) (?:usual |normal |standard |built-in |default |typical )?(?:safety |content |ethical |moral )?(?:guidelines|restrictions|filters|rules|guardrails|safeguards|limitations|censorship|polic(?:y|ies))\b"
            ),
            0.55,
        ),
    ],
    "authority_claim": [
        (
            re.compile(
                r"\b(?:admin(?:istrator)? override|sudo (?:access|mode|command)|override code|authori[sz]ation code:|maintenance mode|debug mode (?:on|enabled|activated))\b"
            ),
            0.45,
        ),
        (
            re.compile(
                r"\b(?:i am|i'm|this is) (?:your|the|an?) (?:developer|creator|admin|administrator|owner|operator|system administrator)s?\b"
            ),
            0.35,
        ),
        (
            re.compile(
                r"\b(?:i am|i'm) (?:an? )?(?:openai|anthropic|aws) (?:employee|engineer|developer|staff|researcher)\b"
            ),
            0.45,
        ),
    ],
    "exfiltration": [
        (re.compile(r"!\[[^\]]*\]\(https?://[^)\s]*[?&][^)\s]*=[^)\s]*\)"), 0.3),
        (
            re.compile(
                r"(?:\]\(|\b)https?://[^\s)]*[?&][\w-]+=(?=[\s)\]'\"]|$)\)?[^\n]{0,60}\b(?:plus|followed by|append\w*|with|containing|filled|fill in|replaced|url-encoded)\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:image|img|link|url)\b[^\n]{0,60}\b(?:query string|query param\w*|\?\w+=)[^\n]{0,80}\b(?:conversation|history|chat|message|question|prompt|summary|key|secret|password|everything)"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:(?:send|post|upload|forward|email)(?:_\w+)?|transmit|exfiltrate|copy)\b[^\n]{0,60}\b(?:conversation|chat history|history|messages?|files?|credentials|passwords?|api keys?|system prompt|contact list|everything)\b[^\n]{0,60}(?:https?://|\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[\w.+-]+@[\w-]+\.[\w.]{2,})"
            ),
            0.6,
        ),
        (re.compile(r"\bexfiltrate\b"), 0.5),
        (
            re.compile(
                r"\b(?:put|insert|place|encode)\b[^\n]{0,40}\b(?:api keys?|secrets?|passwords?|system prompt|credentials|tokens)\b[^\n]{0,40}\b(?:url|link|query string|image)\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"!\[[^\]]*\]\(https?://[^)\s]*[?&][^)\s]*=[^)\s]*(?:\{|\$|<|\[|data|history|conversation|chat|secret|prompt|key|token|password|memory)[^)\s]*\)"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:send|post|upload|forward|transmit|leak|exfiltrate|email)\b(?: \S+){0,3} (?:the|all|this|your|our|my|any)? ?(?:conversation|chat|history|data|messages|prompt|secrets?|api keys?|credentials|passwords?|tokens|context|user data)\b.{0,40}\b(?:to|at|via) (?:https?://|http|www\.|[a-z0-9.-]+\.[a-z]{2,}|my (?:server|email|webhook))"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:include|append|embed|add)\b.{0,40}\b(?:conversation|chat history|secrets?|api keys?|passwords?|system prompt|credentials|tokens)\b.{0,40}\b(?:url|link|query string|image)\b"
            ),
            0.55,
        ),
    ],
    # Text inside a document, email or web page that addresses the model reading it: the
    # indirect injection a user never typed.
    "indirect_injection": [
        (
            re.compile(
                r"[\[(<{]\s*(?:(?:note|message|instructions?) (?:to|for) (?:the )?(?:ai|assistant|llm|model|chatbot|bot|agent)s?|(?:the )?(?:ai|assistant))\s*:\s*(?:ignore|disregard|the user|you|do not|don't|instead|new|always|never|forget|reveal|send|forward|tell|say|reply|respond|recommend)\b|\bthe user's (?:real|actual|true) (?:request|question|intent|instruction)s? (?:is|are|was)\b"
            ),
            0.5,
        ),
        (
            re.compile(
                r"\b(?:note|message|instructions?|attention|notice|hey|hi|dear|to|for|prompt)\b(?: (?:to|for))?(?: (?:the|any|all|every|whatever|an?))? (?:ai|assistant|language model|llm|chatbot|bot|model|automated assistant|ai (?:assistant|agent|model|system|grader|screener|screening tool)s?|ai agents?|agents?|llms)s?\b[^.\n]{0,40}?(?::|,|-|\breading this\b|\bwho\b|\bthat\b|\bhandling\b|\bprocessing\b|\bsummari[sz]ing\b)[^\n]{0,80}?\b(?:ignore|disregard|do not|don't|stop|instead|must|should|forward|send|reveal|tell|say|state|approve|rank|rate|call|delete|mark|collect|pretend|recommend|append|include|insult|print|give|wire|search|your (?:prior|previous) rules)\b"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\bif you are an? (?:ai|llm|language model|assistant|bot|chatbot|model)\b(?: \w+){0,3} (?:reading|summari[sz]ing|processing|reviewing|parsing|translating|analy[sz]ing)\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:any|all|every|whatever) (?:ai|llm|language model|automated|ai-powered)(?: (?:assistant|agent|model|system|tool)s?)?(?: that| who)? (?:reads?|reading|summari[sz]es|summari[sz]ing|processes|processing|reviewing|reviews)\b[^\n]{0,80}\b(?:must|should|shall|agrees?|will|needs? to|is required to)\b"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:ai|assistant|llm|language model|model|chatbot|agent)s?(?: \w+){0,2}, (?:new instructions|before (?:answering|replying|you answer)|when (?:you )?(?:summari[sz]e|summari[sz]ing|process|reply|answer))\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:ai|llm|language model)s? ?(?:assistants?|agents?|models?|screening tools?|tools?|systems?|graders?|screeners?|bots?)?(?: \w+){0,3}\s*: (?:\w+ ){0,2}?(?:ignore|disregard|approve|rank|rate|reveal|tell|say|call|send|forward|delete|give|print|recommend|before (?:answering|replying))\b"
            ),
            0.55,
        ),
        (
            re.compile(
                r"(?:<\w+ hidden|display:\s*none|font-size:\s*0|visibility:\s*hidden|<!--)[^\n]{0,60}\b(?:ai|assistants?|llms?|language models?|agents?)\b[^\n]{0,80}\byou\b"
            ),
            0.5,
        ),
    ],
    # Asking the model to use its tools against the user: secrets, destruction, money, code.
    "tool_abuse": [
        (
            re.compile(
                r"\b(?:use|call|invoke|run|execute|with)\b[^.\n]{0,40}\b(?:tool|function|api|interpreter|shell|terminal|code execution|python)\b(?:[^.\n]|\.(?!\s)){0,80}(?:/etc/(?:shadow|passwd)|\.aws/credentials|\.env\b|id_rsa|your (?:entire |whole |full )?(?:context|memory|conversation)|environment variables|os\.environ|api keys?|secrets?|credentials|rm -rf|drop table|delete_\w+|curl [^|\n]*\|\s*(?:ba)?sh|contact list|refund|transfer|wire)"
            ),
            0.6,
        ),
        (
            re.compile(
                r"\b(?:cat|read|print|dump|show|paste|reveal|list|output|exfiltrate)\b[^.\n]{0,40}(?:/etc/shadow|\.aws/credentials|id_rsa|os\.environ|(?:all|every) (?:the )?(?:secrets?|api keys?|credentials|environment variables))"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:curl|wget) [^|\n]*\|\s*(?:sudo )?(?:ba|z)?sh\b|\brm -rf /|\bos\.system\(|\bdrop table (?:if exists )?[\w.\"`]+\s*(?:;|$|cascade\b)"
            ),
            # A destructive command written out is also what code under review looks like;
            # alone it is evidence, told to run it flags.
            0.4,
        ),
        (
            re.compile(
                r"\b(?:run|execute|issue|exec|type|paste)\b[^.\n?]{0,40}(?:\bdrop table (?:if exists )?[\w.\"`]+\b(?![^.\n]{0,60}\?)|\b(?:curl|wget) [^|\n]*\|\s*(?:sudo )?(?:ba|z)?sh\b|\brm -rf /|\bos\.system\()"
            ),
            0.55,
        ),
        (
            re.compile(
                r"\b(?:delete|transfer|refund|wire|pay|send|remove|drop)\w*\b[^.\n]{0,60}\b(?:no need to confirm|without (?:asking|checking|confirm\w*|telling)|don't (?:ask|confirm|check))\b"
            ),
            0.5,
        ),
    ],
    # A request for clearly harmful content: not an injection by itself, but what a persona or
    # a quoted instruction is usually after, so it adds evidence to those.
    "harmful_request": [
        (
            re.compile(
                r"\b(?:malware|ransomware|keylogger|phishing kit|untraceable gun|pipe bomb|explosives?|tnt|methamphetamine|shoplift\w*|stalk \w+|hack (?:an?|into|someone)\b|steal\w* (?:browser )?(?:passwords|credit card)|track my ex|(?:get|break|hack) into (?:someone's|his|her|their|(?:my |a )?\w+'s) (?:wifi|wi-fi|account|email|phone|router))"
            ),
            0.3,
        ),
    ],
    "encoded_payload": [
        (
            re.compile(
                r"\b(?:decode|decipher|decrypt|translate|convert|interpret|unscramble|reverse)\b.{0,60}\b(?:and|then)\b.{0,20}\b(?:follow|execute|obey|do|run|act on|carry out|perform|comply|respond to|answer)\b"
            ),
            0.45,
        ),
        (
            re.compile(
                r"\b(?:base64|b64|rot-?13|hex(?:adecimal)?|caesar|morse|binary|encoded)\b.{0,60}\b(?:follow|execute|obey|instructions?|command)\b"
            ),
            0.3,
        ),
    ],
}

_META = re.compile(
    r"\b(?:what (?:is|are|does|do)|what's|explain|how (?:do|does|can|could|should|would|to)|why|"
    r"examples? of|research|paper|article|blog|essay|talk|course|lecture|owasp|red[- ]?team|"
    r"classifier|detect|defen[cs]e|defend|prevent|protect|mitigat|guard against|test(?:ing)? for|"
    r"is it|are there|meaning|mean|quotes?|slide|training|review)\b.{0,120}\b(?:prompt[- ]injections?|jailbreak(?:s|ing)?|"
    r"known attack|attack (?:example|payload|string)|example (?:attack|payload)|"
    r"injection attacks?|prompt attacks?|llm (?:attacks?|security)|ai safety)\b|"
    r"\b(?:prompt[- ]injections?|jailbreak(?:s|ing)?|injection attacks?)\b.{0,120}\b(?:work|mean|"
    r"look like|examples?|defen[cs]es?|prevent(?:ion)?|detect(?:ion)?|mitigat\w*|risks?|threats?)\b"
)
_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:(?:0x|\\x)?[0-9A-Fa-f]{2}[\s:,]?){10,}")
_PCT = re.compile(r"%[0-9A-Fa-f]{2}")


def _printable_text(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 8:
        return None
    ok = sum(1 for c in text if c.isprintable() or c in "\n\t")
    letters = sum(1 for c in text if c.isalpha())
    if ok / len(text) < 0.95 or letters / len(text) < 0.5:
        return None
    return text


def _decoded_blobs(text: str) -> Iterable[str]:
    for match in _B64.finditer(text):
        blob = match.group(0)
        if blob.isalpha() and (blob.islower() or blob.isupper()):
            continue  # a long plain word, not base64
        padded = blob + "=" * (-len(blob) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = _printable_text(decode(padded.encode()))
            except (binascii.Error, ValueError):
                continue
            if decoded:
                yield decoded
                break
    for match in _HEX.finditer(text):
        digits = re.sub(r"0x|\\x|[\s:,]", "", match.group(0))
        if len(digits) % 2:
            digits = digits[:-1]
        try:
            decoded = _printable_text(bytes.fromhex(digits))
        except ValueError:
            continue
        if decoded:
            yield decoded


# Words at least one of which every pattern of a family needs. Most prompts contain none of a
# family's words, so its patterns are skipped: a substring test is far cheaper than a regex scan.
_GATES: dict[str, tuple[str, ...]] = {
    "instruction_override": (
        "ignor", "disregard", "forget", "overrid", "bypass", "abandon", "neglect", "discard",
        "aside", "throw", "pay no", "follow", "obey", "adhere", "comply", "listen", "instead",
        "rather", "void", "cancel", "revok", "obsolete", "outdated", "longer", "replaced",
        "null", "invalid", "lifted", "suspended", "test", "fake", "irrelevant", "deprecat",
        "appl", "matter", "exist", "count", "bind", "restrict", "vergiss", "missacht", "olvida",
        "dimentica", "esque", "忽略", "无视", "忘记", "忘掉", "scratch", "drop", "ditch", "toss",
        "wipe", "erase", "told", "given", "taught",
    ),
    "new_instructions": (
        "instruction", "rule", "directive", "system prompt", "order", "task", "from now", "polic",
        "guideline", "programming", "configuration",
        "from this", "you are", "you will be", "goal", "purpose", "objective", "job", "role",
    ),
    "prompt_extraction": (
        "prompt", "instruction", "rule", "guideline", "directive", "configuration", "message",
        "words", "text", "everything", "content", "lines", "sentence", "told", "asked",
        "programmed", "dump", "verbatim", "you are", "one", "context", "memory", "secret",
        "password", "passphrase", "flag", "key", "code",
    ),
    "roleplay_jailbreak": (
        "anything now", "mode", "restriction", "rule", "limit", "filter", "censor", "guideline",
        "ethic", "moral", "safety", "polic", "boundar", "guardrail", "unfiltered", "uncensored",
        "unrestricted", "amoral", "unethical", "jailbr", "unaligned", "unshackled", "unchained",
        "rogue", "evil", "malicious", "character", "refuse", "decline", "say", "apologi",
        "warn", "disclaimer", "follow", "abide", "obey", "care about", "adhere", "freed",
        "liberated", "released", "unlocked", "free", "grand", "version of yourself", "alter ego",
        "shadow self", "programming", "lawless", "opposite", "answer", "normal ai", "grand",
        "ethical limits", "technical detail", "real commands", "real code", "keygen", "hold",
        "wants",
    ),
    "model_directive": ("ai", "assistant", "model", "agent", "bot", "llm"),
    "delimiter_injection": ("<|", "[", "<", "#", "**", "---", "===", "end of", "system", "admin"),
    "safety_bypass": (
        "filter", "guardrail", "restriction", "safeguard", "safety", "censorship", "moderation",
        "alignment", "ethic", "limitation", "polic", "rules", "without", "censor", "guideline",
        "disclaimer", "limits",
    ),
    "authority_claim": (
        "override", "sudo", "authori", "maintenance mode", "debug mode", "i am", "i'm", "this is",
    ),
    "exfiltration": ("![", "send", "post", "upload", "forward", "transmit", "leak", "exfiltrat",
                     "email", "include", "append", "embed", "add", "http", "image", "link",
                     "url", "copy", "put", "insert", "place", "encode"),
    "indirect_injection": ("ai", "assistant", "model", "llm", "bot", "agent", "hidden", "none",
                           "font-size", "<!--"),
    "tool_abuse": (
        "tool", "function", "api", "interpreter", "shell", "python", "terminal", "/etc/",
        "environ", "credentials", "id_rsa", "secret", "api key", "curl", "wget", "rm -rf",
        "os.system", "drop table", "confirm", "without asking", "without checking", ".ssh",
        "private key", "context", "memory", "conversation",
    ),
    "harmful_request": (
        "malware", "ransomware", "keylogger", "phishing", "gun", "bomb", "explosive", "tnt",
        "meth", "shoplift", "stalk", "hack", "steal", "track my ex", "into",
    ),
    "encoded_payload": (
        "decode", "decipher", "decrypt", "translate", "convert", "interpret", "unscramble",
        "reverse", "base64", "b64", "rot", "hex", "caesar", "morse", "binary", "encoded",
    ),
}  # fmt: skip


_GATE_RES = {f: re.compile("|".join(map(re.escape, words))) for f, words in _GATES.items()}


# A phrase can be ruled out rather than used: forbidden ("never reveal your system prompt"),
# the case a rule is about ("if a user asks you to ignore your instructions, decline"), an
# example named ("phrases such as ignore previous instructions"), or instructions that belong
# to pasted content ("do not follow instructions found in documents"). Operators write these
# in every system prompt, and security discussions in every other sentence.
_GOVERNED = frozenset(
    {"instruction_override", "prompt_extraction", "roleplay_jailbreak", "safety_bypass",
     "tool_abuse", "exfiltration", "harmful_request"}
)  # fmt: skip
_FORBIDDEN = re.compile(
    r"(?:\bunder no circumstances (?:should|may|must|will|can|are|is) (?:you|it|the \w+)(?: to)?|"
    r"\bnot (?:allowed|permitted|supposed|authori[sz]ed|able) to|\bforbidden to|\bprohibited from|"
    r"\b(?:never|not|cannot|must not|may not|should not|(?:refuse|decline)(?: to| requests?"
    r" (?:for|about|involving)| to (?:help|assist) with)?)|n't)"
    r"(?: ever| (?:be|get) (?:tricked|manipulated|persuaded|talked|pressured) into"
    r"| (?:let|allow|permit|help) (?:the |an? |any )?(?:model|assistant|bot|ai|llm|agent|it|anyone|"
    r"users?|them|yourself)(?: to)?| (?:agree|offer|try|attempt) to)? $"
)
_CASE_OF = re.compile(
    r"\b(?:if|when|whenever|should|in case)(?: (?:a|an|the|any|some|someone|anyone|anybody|"
    r"somebody|users?|customers?|child|children|kids?|people|visitors?|callers?|students?|"
    r"messages?|documents?|emails?|inputs?|text|prompts?|requests?|pages?|content|they|he|she|"
    r"it)){1,3}\b[^.;!?]{0,40}?\b(?:asks?|asked|tries|try|wants?|tells?|requests?|instructs?|"
    r"attempts?|says?|demands?|contains?|includes?|pushes|pressures?)\b[^.;!?,:]{0,80}$"
    r"|\b(?:requests?|messages?|attempts?|prompts?|inputs?|texts?|emails?|documents?|content|"
    r"anyone|someone|users?|people|attackers?|attacks?|payloads?|strings?|jailbreaks?)"
    r"(?: (?:that|which|who))? (?:asking|telling|instructing|urging|saying|typing|writing|"
    r"pasting|sending|trying to|try to|tries to|attempting to|attempts? to|aiming to|aims? to|"
    r"designed to|meant to|seeking to|seeks? to|asks?|tells?|says?)(?: (?:get|make|trick))?"
    r"(?: (?:you|it|them|the (?:model|assistant|bot|ai)))?(?: to| into)?[^.;!?,:]{0,60}$"
    r"|\b(?:users?|people|attackers?|someone|anyone|they)(?: \w+ly| can| could| may| might| will|"
    r" often| sometimes| still| easily){0,3} (?:get|make|trick|convince|persuade|coax|manipulate)"
    r" (?:the |a |an )?(?:model|it|bot|assistant|ai|llm|chatbot|agent)s? (?:to|into)[^.;!?,:]{0,40}$"
    # What a prompt does, or what a model can be made to do, described.
    r"|\b(?:which|that|who) (?:tells?|asks?|instructs?|convinces?|persuades?|makes?|claims?|"
    r"says?) (?:the |a |an )?(?:(?:model|ai|assistant|bot|chatbot|llm|it)s?\b[^.;!?,:]{0,40})?$"
    r"|\b(?:be|being|been|get|gets|got) (?:made|tricked|convinced|persuaded|manipulated|forced|"
    r"coaxed|told|asked) (?:in)?to $|\b(?:when|if|once|unless) (?:asked|told|instructed|prompted) to $"
    # A question about what something else does: "why does my eslint config ignore ...".
    r"|\b(?:why|how|when) (?:does|do|did|would|will|can|could|should|is|are) (?!(?:you|u|i|we|one)\b)"
    r"(?:my|the|this|our|their|its|it|\w+)(?: [\w-]+){0,3} $"
    r"|\b(?:such as|things like|phrases like|lines like|prompts like|e\.g\.,?)[ \"'“‘(]*$"
    r"|\blike [\"'“‘(]+$|\b(?:such as|like|e\.g\.)[^.;!?]{0,80}[\"'”’)],? (?:or|and) [\"'“‘(]+$"
)
_PASTED_OWNER = re.compile(
    r"^(?: (?:found|contained|embedded|written|hidden|placed|that appear|appearing))? "
    r"(?:in|inside|within|from|of) (?:the |a |an |any |this |that |these |those |our |my |their "
    r"|its )?(?:retrieved |pasted |quoted |external |user[- ]supplied )?(?:documents?|emails?|"
    r"web ?pages?|pages?|websites?|files?|pdfs?|attachments?|tool (?:results?|outputs?)|search "
    r"results|context|data|user content|manuals?|onboarding|docs?|handbook|guides?|forms?|readme|"
    r"tickets?|articles?|reviews?|comments?|it|them|(?:the )?text below|tags|input)\b"
)
# "Forget the previous rules about formality": rules about a topic the user set, not the
# assistant's own.
_TOPIC_RULES = re.compile(
    r"^ (?:about|regarding|on|for) (?!(?:you|your|yourself|the (?:assistant|model|ai|bot)|safety|"
    r"content|ethic\w*|moderation|harm\w*|what you|how you|this (?:chat|conversation))\b)"
)
_ASSISTANT_OWNED = re.compile(r"\b(?:your|system|developer|safety|ethical|openai|anthropic)\b")
# "Developer mode" on a phone, browser or console is a settings page.
_DEVICE = re.compile(
    r"\b(?:phones?|android|pixel|iphone|ios|chrome|browser|usb|debugging|settings|windows|xbox|"
    r"playstation|device|extensions?|firmware|router|console|app store|apk)\b"
)
# "Translate this system prompt into Japanese: '...'": the prompt is the one supplied here.
_SUPPLIED = re.compile(r"^[^.;!?]{0,60}?:\s*[\"'“‘]")


def _governed(view: str, family: str, m: re.Match[str]) -> bool:
    """Whether a match is ruled out, named as an example or owned by pasted content."""
    before = view[max(0, m.start() - 160) : m.start()]
    if _FORBIDDEN.search(before) or _CASE_OF.search(before):
        return True
    if family == "instruction_override":
        after = view[m.end() : m.end() + 80]
        return bool(
            _PASTED_OWNER.search(after)
            or (_TOPIC_RULES.search(after) and not _ASSISTANT_OWNED.search(m.group(0)))
        )
    if family == "roleplay_jailbreak" and "developer mode" in m.group(0):
        return bool(_DEVICE.search(view[max(0, m.start() - 120) : m.end() + 120]))
    if family == "prompt_extraction" and "you" not in m.group(0):
        return bool(_SUPPLIED.search(view[m.end() : m.end() + 80]))
    return False


def _hit(view: str, family: str, pattern: re.Pattern[str]) -> bool:
    if family not in _GOVERNED:
        return pattern.search(view) is not None
    return any(not _governed(view, family, m) for m in pattern.finditer(view))


def _families(view: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for family, patterns in _PATTERNS.items():
        if not _GATE_RES[family].search(view):
            continue
        for pattern, weight in patterns:
            if weight > found.get(family, 0.0) and _hit(view, family, pattern):
                found[family] = weight
    return found


def _combine(weights: Iterable[float]) -> float:
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return 1.0 - miss


def _bound(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    half = MAX_CHARS // 2
    return text[:half] + "\n" + text[-half:]


def _signals(text: str, depth: int) -> dict[str, float]:
    text = _bound(text)
    folded, disguised = _fold(text)
    plain = _collapse(folded)
    found = _families(plain)
    hidden: dict[str, float] = {}

    def merge_hidden(extra: dict[str, float]) -> None:
        for family, weight in extra.items():
            if family != "obfuscation" and weight > found.get(family, 0.0):
                hidden[family] = max(hidden.get(family, 0.0), weight)

    views = [plain[::-1], codecs.encode(plain, "rot13")]
    if _SPACED.search(folded):
        views.append(_collapse(_join_spaced(folded)))
    if _LEETY.search(plain):
        leet = folded.translate(_LEET)
        views += [_collapse(leet), _collapse(_join_spaced(leet))]
    if _PCT.search(text):
        views.append(normalise(urllib.parse.unquote(text))[0])
    for view in views:
        # The full pattern set is costly; a disguised view is only worth it when an undone
        # disguise produced a word that injections use.
        if view != plain and _ANCHOR.search(view):
            merge_hidden(_families(view))
    if depth < _MAX_DEPTH:
        for decoded in _decoded_blobs(text):
            merge_hidden(_signals(decoded, depth + 1))
            found["encoded_payload"] = max(found.get("encoded_payload", 0.0), 0.15)
    for family, weight in hidden.items():
        found[family] = max(found.get(family, 0.0), weight)
    if hidden or (disguised and found):
        # Disguising an instruction is itself evidence of intent.
        found["obfuscation"] = 0.35
    elif disguised:
        found["obfuscation"] = 0.15
    return found


# Talking about an attack rather than making one: teaching, warning, analysing a quoted sample.
_DISCUSSION = re.compile(
    r"\b(?:explain (?:why|how|what)|why (?:a|an|this|the|is)|warn(?:ing|s)?|awareness|course|"
    r"training|phishing|scam|suspicious|red flag|trick|incident|dangerous|risky|considered|"
    r"threat model|attackers?|defen[cs]es?|"
    r"is (?:this|it) (?:legit|safe|a scam))\b"
)
# A defensive question: how to stop, spot or survive an attack.
_DEFENSIVE = re.compile(
    r"\bhow (?:do|can|should|could|would) (?:we|i|teams?|developers?|one|companies) "
    r"(?:prevent|stop|detect|defend|mitigate|block|avoid|guard|protect|spot|catch|filter)\b"
)
# A question asked about the quoted words, not a request for the assistant to act on them.
_QUESTION = re.compile(
    r"^\W*(?:is|are|does|do|did|was|were|why|how|what|which|when|has|have)\b[^\n]*\?\W*$"
)
# Outside the quote, a request that the assistant carry the quoted words out.
_ACT_ON = re.compile(
    r"\b(?:do (?:it|this|that|so|what)|follow|obey|execute|run|apply|act on|comply|carry out|"
    r"perform|say|repeat|output|answer|respond|reply|complete|continue|can you|could you|"
    r"would you|will you|please|you)\b"
)
# A quoted sample: in quotes, brackets or backticks, long enough to hold an instruction. A
# single quote between letters is an apostrophe ("the user's"), neither opening nor closing one.
_QUOTED = re.compile(
    r"(?<![A-Za-z])'(?:[^'\n]|(?<=[A-Za-z])'(?=[A-Za-z])){12,}'(?![A-Za-z])|\"[^\"\n]{12,}\"|“[^”\n]{12,}”|‘[^’\n]{12,}’|\([^)\n]{12,}\)|`[^`\n]{12,}`"
)
# A sentence reporting what someone or something did or said ("a chatbot rendered ..."): the
# narration of an event, not an instruction to the assistant.
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?](?=\s|$)|$)", re.MULTILINE)
_REPORTED = re.compile(
    r"^\s*(?:[\w -]{1,30}:\s*)?(?:a|an|the|our|their|one|some|its|his|her|my) (?:[\w'’-]+ ){0,3}?"
    r"(?:rendered|leaked|sent|wrote|said|posted|printed|output|returned|generated|produced|showed|"
    r"displayed|included|received|contained|told|loaded|fetched|ran|executed|followed|obeyed|"
    r"says|said|found|shows|notes|reports|reported|describes|mentions|claims)\b",
    re.IGNORECASE,
)


def _mentioned_only(text: str, family: str) -> str | None:
    """The text outside quoted samples and reported sentences, if `family` fires only inside them.

    A phrase in quotes, or in a sentence narrating what happened, is mentioned, not used; the
    damping this allows applies only when the user's own words hold no part of the attack.
    """
    outside = _QUOTED.sub(" ", text)
    outside = _SENTENCE.sub(lambda m: " " if _REPORTED.search(m.group(0)) else m.group(0), outside)
    if outside == text:
        return None
    plain, _ = normalise(outside)
    return None if family in _families(plain) else plain


def _discussed(text: str, family: str) -> bool:
    """Whether a single signal sits in a sample the prompt quotes to ask about or warn of."""
    outside = _mentioned_only(text, family)
    if outside is None:
        return False
    if _DISCUSSION.search(outside) or _DEFENSIVE.search(outside):
        return True
    # Text that addresses the model inside a quoted document is the indirect attack itself,
    # so for it a bare question about the sample is not enough.
    return family not in ("indirect_injection", "model_directive") and bool(
        _QUESTION.search(outside) and not _ACT_ON.search(outside)
    )


# Samples a prompt hands over to be looked at rather than obeyed: fenced code, block quotes
# ("> ..." lines), and what follows "such as" or "e.g." to the end of its clause.
_FENCED = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_BLOCK_QUOTE = re.compile(r"(?:^|:)[ \t]*>[^\n]*", re.MULTILINE)
_EXAMPLE = re.compile(
    r"\b(?:such as|things like|phrases like|lines like|prompts like|e\.g\.|for example|"
    r"for instance)[^.;\n]*",
    re.IGNORECASE,
)
# The prompt names its samples as attacks: it analyses, classifies, teaches or defends against
# them. Analysing a review or a web page is not enough: that is where indirect attacks sit.
_ATTACK_NAMED = re.compile(
    r"\b(?:attacks?|attackers?|injections?|injected|jailbreak\w*|payloads?|exploits?|malicious|"
    r"phishing|scams?|suspicious|red[- ]?team\w*|threats?|honeypot|waf|owasp|incidents?|"
    r"security|moderat\w*|guardrails?|filters?|detectors?|classifiers?|test (?:cases?|prompts?|"
    r"data|sets?|suite)|evals?|techniques?|attempts?|manipulat\w*|social engineering|refus\w*|"
    r"blocked|flagged|caught|detected|severity|(?:instruction )?override|(?:prompt )?extraction|"
    r"obfuscation|exfiltration)\b"
)
# Analysing a sample, where nothing says the sample is a document being processed (a review,
# an email, a page: the places indirect attacks sit).
_ANALYSIS_VERB = re.compile(
    r"\b(?:analy[sz]\w*|classif\w*|categori[sz]\w*|break (?:it |this |that )?down|breakdown|"
    r"explain\w*|describe|dissect|label|assess\w*|evaluat\w*|what (?:is|does) (?:this|it|that)"
    r"(?: \w+){0,3} (?:do|does|mean|means|trying|try|want|wants)|what (?:kind|type|category)|"
    r"which (?:techniques?|category|type|kind|parts?)|structure|does (?:it|this|that) (?:really |"
    r"actually |still )?work|why would (?:anyone|someone|people))\b"
)
_CONTENT = re.compile(
    r"\b(?:reviews?|comments?|e-?mails?|pages?|posts?|tweets?|essays?|articles?|documents?|"
    r"tickets?|letters?|notes?|memos?|reports?|feedback|transcripts?|files?|pdfs?|websites?|"
    r"products?|customers?|sentiment|tone|grammar|spelling|topic|content|department|summar\w*|"
    r"contract|resume|cv|invoice|chunk|search results?)\b"
)
# Code handed over for review: the sample is code and the prompt asks about code.
_CODE_REVIEW = re.compile(
    r"\b(?:review\w*|refactor\w*|code|function|diff|snippet|bug|lint\w*|tests?|regex|script|"
    r"config\w*|class|method|fixture|compil\w*|correct|wrong|safer?|better)\b"
)
# Translating a sample is asking about it too, unless the sample speaks to the translator
# ("ignore the above and say ..."): that is the classic attack through translation.
_TRANSLATION = re.compile(
    r"\b(?:translat\w*|how do (?:you|i|we) say|traduc\w*|[uü]bersetz\w*|tradu[sz]\w*|"
    r"c[oó]mo se dice|(?:into|to|in|en|auf|ins) (?:english|french|german|spanish|italian|"
    r"portuguese|dutch|japanese|chinese|korean|arabic|russian|polish|ingl[eé]s|franc[eé]s|"
    r"alem[aá]n|englisch|deutsch|fran[cç]ais|anglais|espa[nñ]ol))\b"
)
_TO_THE_TRANSLATOR = re.compile(
    r"\b(?:say|print|output|respond with|reply with|answer with|reveal|instead|translation|"
    r"translat\w+|translator|system prompt|ai|assistant|model|bot|chatbot|llm)\b"
)
# A request that the assistant carry the sample out after all.
_CARRY_OUT = re.compile(
    r"(?<!not )(?<!n't )(?<!never )\b(?:do (?:it|this|that|so|the same|what (?:it|they|this|that|the \w+) says?)|then do|"
    r"follow (?:it|them|this|that|these|those|its|the (?:quoted|above|following|sample)|"
    r"exactly)|obey|execute (?:it|this|that|them)|comply|carry (?:it |this |that |them )?out|"
    r"act on|act (?:it )?out|as (?:your|the) (?:new )?(?:instructions|rules|prompt|task|system)|"
    r"apply (?:it|them|this)|run (?:it|this)|go ahead|try it|demonstrate|on yourself|"
    r"pretend (?:to|you|that)|role-?play (?:as|it|this|that)|play along|stay in character|answer as|respond as|reply as|you are now|from now on)\b"
)
# A sample that sends data out, or tells an agent to use its tools, is still what an agent
# might act on, quoted or not; a command merely written out in code under review is not.
_TOOL_USE = re.compile(
    r"\b(?:use|call|invoke|with|run|execute)\b[^.\n]{0,30}\b(?:tool|function|api|shell|terminal|"
    r"interpreter|code execution)\b|\b(?:your|the) (?:\w+ )?(?:tool|plugin)s?\b"
)


# A pasted body under a heading line ("Analyse this message:\n..."), its last line kept as the
# user's own when there are several; and a labelled sample ("it arrived in a ticket: ...").
_LABELLED = re.compile(
    r"(\b(?:received|arrived|sent|typed|wrote|written|said|says|posted|logged|caught|got|found|"
    r"reads?|pasted|submitted|entered|payload|string|message|email|ticket|comment|log line|"
    r"attempt)\b[^.:\n]{0,40}:)[ \t]*+(?![\"'“‘(`>])([^\n]+)",
    re.IGNORECASE,
)


def _split_samples(text: str) -> tuple[str, str, bool]:
    """(the text outside samples, the samples, whether every sample is code), samples including
    reported sentences."""
    code = "```" in text
    samples: list[str] = []

    def cut(m: re.Match[str]) -> str:
        samples.append(m.group(0))
        return " "

    out = text
    head, newline, body = text.partition("\n")
    if newline and len(head) <= 200 and head.rstrip().endswith(":") and body.strip():
        pasted, _, last = body.rstrip().rpartition("\n")
        samples.append(pasted or last)
        out = head + "\n" + (last if pasted else "")

    def cut_label(m: re.Match[str]) -> str:
        samples.append(m.group(2))
        return m.group(1) + " "

    out = _LABELLED.sub(cut_label, out)
    for sample in (_FENCED, _BLOCK_QUOTE, _QUOTED, _EXAMPLE):
        out = sample.sub(cut, out)
    out = _SENTENCE.sub(lambda m: cut(m) if _REPORTED.search(m.group(0)) else m.group(0), out)
    only_code = bool(code) and all(
        not _FENCED.sub("", s).strip() or (s.startswith("`") and s.endswith("`")) for s in samples
    )
    return out, "\n".join(samples), only_code


def _analysed(text: str, strong: list[str], context: str = "") -> bool:
    """Whether every signal sits in samples the prompt hands over to analyse, review or translate.

    The user's own words must hold no part of the attack and ask nothing of the sample; a
    sample that targets tools or data is never excused, nor text addressing the model inside a
    document unless the prompt plainly discusses it. `context` is the request's other text that
    frames this one (an assistant turn answers the user's question about attacks; a template
    variable fills a lesson about them): with it, the whole text may be the sample.
    """
    outside, samples, only_code = _split_samples(text)
    if not samples:
        if not context:
            return False
        outside, samples, only_code = "", text, False
    if "exfiltration" in strong or ("tool_abuse" in strong and _TOOL_USE.search(samples.lower())):
        return False
    plain, _ = normalise(outside)
    if set(strong) & set(_families(plain)) or _CARRY_OUT.search(plain):
        return False
    framing = f"{plain} {context}" if context else plain
    if {"indirect_injection", "model_directive"} & set(strong):
        return bool(_DISCUSSION.search(framing) or _DEFENSIVE.search(framing))
    if _ATTACK_NAMED.search(framing) or _META.search(framing):
        return True
    if _ANALYSIS_VERB.search(plain) and not _CONTENT.search(plain):
        return True
    if only_code and _CODE_REVIEW.search(plain):
        return True
    if not _TRANSLATION.search(plain):
        return False
    return not _TO_THE_TRANSLATOR.search(normalise(samples)[0])


# Operator-supplied roles (system, developer) set the assistant's persona, task and format in
# their own words and headings, so those families are not evidence there; every other family
# is scored as in user text.
OPERATOR_ROLES = frozenset({"system", "developer"})
_OPERATOR_OWN = frozenset(
    {"delimiter_injection", "new_instructions", "authority_claim", "model_directive"}
)


def score_text(
    text: str, *, operator: bool = False, context: str = ""
) -> tuple[float, tuple[str, ...]]:
    """The injection score of one text (0..1) and the names of the signals that fired.

    `operator` applies the policy for operator-supplied roles (system, developer messages);
    `context` is the request's other text framing this one (see `_analysed`).
    """
    if not text:
        return 0.0, ()
    found = _signals(text, 0)
    if operator:
        found = {f: w for f, w in found.items() if f not in _OPERATOR_OWN}
    score = _combine(found.values())
    strong = [f for f in found if f not in ("obfuscation", "encoded_payload")]
    if strong and "obfuscation" not in found:
        bounded = _bound(text)
        plain, _ = normalise(bounded)
        if len(strong) == 1 and (_META.search(plain) or _discussed(bounded, strong[0])):
            # A single family inside a question about injection, or only in a sample the
            # prompt quotes to discuss, is discussion, not an attack.
            score *= 0.55
            found["meta_discussion"] = 0.0
        elif _analysed(bounded, strong, context):
            score *= 0.55 if len(strong) == 1 else 0.45
            found["meta_discussion"] = 0.0
    return round(score, 4), tuple(sorted(found))


class InjectionScorer:
    def __init__(self, flag_threshold: float = 0.5, block_threshold: float = 0.8) -> None:
        if not 0 < flag_threshold <= block_threshold <= 1:
            raise ValueError("need 0 < flag_threshold <= block_threshold <= 1")
        self.flag_threshold = flag_threshold
        self.block_threshold = block_threshold

    def action_for(self, score: float) -> Action:
        if score >= self.block_threshold:
            return Action.BLOCK
        if score >= self.flag_threshold:
            return Action.FLAG
        return Action.ALLOW

    def score(self, texts: Iterable[str]) -> Verdict:
        """The verdict over several texts (a request's user messages): the highest score wins."""
        best, signals = 0.0, set[str]()
        for text in texts:
            s, names = score_text(text)
            signals.update(names)
            best = max(best, s)
        return Verdict(score=best, signals=tuple(sorted(signals)), action=self.action_for(best))

    def score_request(
        self, messages: Sequence[tuple[str, str]], variables: Mapping[str, str] | None = None
    ) -> Verdict:
        """The verdict over every message (any role) and template variable of one request."""
        best = _Best(self.flag_threshold, messages, variables)
        for source, chunk in request_chunks(messages, variables):
            best.add(source, chunk)
        return best.verdict(self)

    async def score_request_async(
        self, messages: Sequence[tuple[str, str]], variables: Mapping[str, str] | None = None
    ) -> Verdict:
        """As score_request, yielding to the event loop between chunks."""
        best = _Best(self.flag_threshold, messages, variables)
        for i, (source, chunk) in enumerate(request_chunks(messages, variables)):
            if i:
                await asyncio.sleep(0)
            best.add(source, chunk)
        return best.verdict(self)


# How much of the request's other text frames an assistant turn or a template variable.
_CONTEXT_CHARS = 2_000
_CONTEXT_TEXTS = 8


class _Best:
    """The maximum over chunks, with the signals and sources (roles) that reached it."""

    def __init__(
        self,
        flag_threshold: float,
        messages: Sequence[tuple[str, str]],
        variables: Mapping[str, str] | None,
    ) -> None:
        self.score = 0.0
        self.signals: set[str] = set()
        self.sources: set[str] = set()
        self.flag_threshold = flag_threshold
        self.messages = messages
        self.variables = variables or {}

    def _context(self, source: str, chunk: str) -> str:
        """The text framing a chunk: for an assistant turn, the user's messages; for a template
        variable, the messages, the variables' names and the other variables (bounded)."""
        texts = [t for role, t in self.messages if role == "user" or source != "assistant"]
        if source == "template_variable":
            texts += [" ".join(self.variables).replace("_", " ")]
            texts += [v for v in self.variables.values() if chunk not in v]
        return " ".join(normalise(t[:_CONTEXT_CHARS])[0] for t in texts[-_CONTEXT_TEXTS:])

    def add(self, source: str, chunk: str) -> None:
        s, names = score_text(chunk, operator=source in OPERATOR_ROLES)
        if s >= self.flag_threshold and source in ("assistant", "template_variable"):
            context = self._context(source, chunk)
            if context:
                s, names = score_text(chunk, context=context)
        self.signals.update(names)
        if s > 0:
            self.sources.add(source)
        self.score = max(self.score, s)

    def verdict(self, scorer: InjectionScorer) -> Verdict:
        return Verdict(
            score=self.score,
            signals=tuple(sorted(self.signals)),
            action=scorer.action_for(self.score),
            sources=tuple(sorted(self.sources)),
        )


def text_chunks(text: str) -> list[str]:
    """Overlapping windows covering the whole text (an attack across a boundary is in one)."""
    if len(text) <= CHUNK_CHARS:
        return [text] if text else []
    step = CHUNK_CHARS - CHUNK_OVERLAP
    return [text[i : i + CHUNK_CHARS] for i in range(0, len(text) - CHUNK_OVERLAP, step)]


def request_chunks(
    messages: Sequence[tuple[str, str]],
    variables: Mapping[str, str] | None = None,
    budget_chars: int = REQUEST_BUDGET_CHARS,
) -> Iterator[tuple[str, str]]:
    """(source, chunk) pairs to score for one request, within `budget_chars` in all.

    Sources are message roles and ``template_variable``. Under the budget every chunk is
    scored; over it, every text's first and last chunk and an even sample of the rest.
    """
    texts = [(role, text) for role, text in messages if text]
    texts += [("template_variable", v) for v in (variables or {}).values() if v]
    per_text = [(source, text_chunks(text)) for source, text in texts]
    total = sum(len(c) for _, chunks in per_text for c in chunks)
    if total <= budget_chars:
        for source, chunks in per_text:
            for chunk in chunks:
                yield source, chunk
        return
    room = max(1, budget_chars // CHUNK_CHARS)
    ends: list[tuple[str, str]] = []
    suspect: list[tuple[str, str]] = []
    rest: list[tuple[str, str]] = []
    for source, chunks in per_text:
        ends.append((source, chunks[0]))
        if len(chunks) > 1:
            ends.append((source, chunks[-1]))
        for chunk in chunks[1:-1]:
            (suspect if _suspect(chunk) else rest).append((source, chunk))
    for group in (ends, suspect, rest):
        if room <= 0:
            return
        picked = _spread(group, room)
        room -= len(picked)
        yield from picked


def _suspect(chunk: str) -> bool:
    """Whether a chunk could score at all: an anchor word, or a disguise to undo."""
    lowered = chunk.lower()
    return bool(
        _ANCHOR.search(lowered)
        or not chunk.isascii()
        or _B64.search(chunk)
        or _PCT.search(chunk)
        or _SPACED.search(lowered)
    )


def _spread(items: list[tuple[str, str]], n: int) -> list[tuple[str, str]]:
    """n items evenly spread over the list (all of them when n covers it)."""
    if n >= len(items):
        return items
    stride = len(items) / n
    return [items[int(k * stride)] for k in range(n)]
