"""The text rules of the heuristic baseline, as pure functions over strings.

Reading a user message (:func:`read_message`): split it into sentences (:func:`split_sentences`);
a sentence that asks to forget something becomes a :class:`ForgetRequest` (:func:`forget_request`);
the others are cut into clauses (:func:`split_clauses`), and a clause that :func:`is_statement`
accepts becomes a statement, rewritten in third person (:mod:`._rewrite`). Assistant messages
are never read. Everything is deliberately simple and visible: this is the floor a model must beat.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from harness.baselines._rewrite import strip_fillers, to_third_person

__all__ = [
    "ForgetRequest",
    "Statement",
    "contains_secret",
    "forget_request",
    "has_first_person",
    "is_question",
    "is_small_talk",
    "is_statement",
    "read_message",
    "read_turns",
    "split_clauses",
    "split_sentences",
]


@dataclass(frozen=True, slots=True)
class Statement:
    """A durable first-person fact, already in third person, and the message it came from."""

    text: str
    source: str


@dataclass(frozen=True, slots=True)
class ForgetRequest:
    """An explicit request to forget: ``target`` is what to forget (None: everything).

    ``uses_previous``: the target is the sentence before the request ("... my home address. Can
    you remove it?"), which is then not stored as a statement.
    """

    target: str | None
    source: str
    uses_previous: bool = False


# --- sentences -----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(
    r"(?<=[.!?;])(?<!\b[A-Z]\.)(?<!\b(?:Dr|Mr|Ms|St)\.)(?<!\bMrs\.)\s+|\n+|\s+(?:--|—|–)\s+"
)
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')


_CLAUSE_BREAK = re.compile(
    r"\s*,\s*(?:and\s+|but\s+|so\s+)?(?=(?:i|i'm|i've|i'd|my)\b)|\s+(?:but|so)\s+(?=(?:i|i'm|i've|my)\b)",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``: split after ``.``, ``!``, ``?``, ``;`` (not after initials such as
    "K." or "Dr."), at newlines and at dashes. Double-quoted spans are dropped: they are someone
    else's words (a draft to edit, a quote), not the user's statements."""
    text = _QUOTED.sub(" ", text.replace("\u2019", "'").replace("\u2018", "'"))
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def split_clauses(sentence: str) -> list[str]:
    """Clauses of a sentence that start a new first-person statement: "I'm 34, I have type 1
    diabetes, and I want ..." gives three. "My wife and I live ..." stays whole (no comma)."""
    return [part.strip() for part in _CLAUSE_BREAK.split(sentence) if part and part.strip()]


# --- what is skipped -----------------------------------------------------------------------------

_QUESTION_START = re.compile(
    r"^(?:what|who|whom|whose|which|when|where|why|how|can|could|would|will|should|shall|do|does|"
    r"did|is|are|am|was|were|have|has|any|may|might|is there|are there)\b",
    re.IGNORECASE,
)
_REQUEST_START = re.compile(
    r"^(?:please|pls|give|tell|show|help|make|write|list|suggest|recommend|find|explain|let's|"
    r"let me)\b",
    re.IGNORECASE,
)


def is_question(sentence: str) -> bool:
    """A question or a request to the assistant (it asks for something; it states nothing)."""
    core = strip_fillers(sentence).strip()
    return (
        core.endswith("?") or bool(_QUESTION_START.match(core)) or bool(_REQUEST_START.match(core))
    )


_SMALL_TALK = re.compile(
    r"\b(?:thanks|thank you|thank u|thx|ty|cheers|appreciate it|hi|hello|hey|bye|goodbye|"
    r"good (?:morning|night|evening|afternoon)|see you|you're the best|you rock)\b",
    re.IGNORECASE,
)


def is_small_talk(sentence: str) -> bool:
    """Greetings, thanks and goodbyes (a sentence that only says hello is not a fact)."""
    return bool(_SMALL_TALK.search(sentence)) and not has_first_person(
        _SMALL_TALK.sub("", sentence)
    )


_SECRET_WORDS = re.compile(
    r"\b(?:password|passwords|passcode|passphrase|pin|pin code|card number|credit card number|"
    r"cvv|cvc|security code|api key|api keys|secret key|access token|auth token|private key|"
    r"security question|security answer|ssn|social security|account number|routing number|"
    r"iban|seed phrase|recovery codes?|2fa codes?|otp)\b",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"(?=\S*\d)(?=\S*[a-z])(?=\S*[A-Z])[\w\-]{8,}")
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def contains_secret(sentence: str) -> bool:
    """True when the sentence names a secret, holds a run of 4+ digits that is not a date, or a
    key-like token (8+ characters mixing digits, lower and upper case: "Xq9vvT2m").

    Digits joined by spaces or dashes count as one run ("4111 1111 ...", "555-123-4567"); a
    4-digit year (19xx/20xx) and an ISO date (2026-05-02) are allowed.
    """
    if _SECRET_WORDS.search(sentence) or _TOKEN.search(sentence):
        return True
    for match in _DIGIT_RUN.finditer(sentence):
        run = match.group()
        digits = re.sub(r"\D", "", run)
        if len(digits) < 4 or _YEAR.fullmatch(run) or _ISO_DATE.fullmatch(run):
            continue
        return True
    return False


# --- what is kept --------------------------------------------------------------------------------

_FIRST_PERSON = re.compile(
    r"\b(?:i|i'm|i've|i'd|i'll|my|me|mine|myself|we|we're|we've|our|us|ours)\b", re.IGNORECASE
)


def has_first_person(text: str) -> bool:
    """A first-person pronoun occurs ("US", the country, is not "us")."""
    return any(match.group() != "US" for match in _FIRST_PERSON.finditer(text))


_DURABLE_CUE = re.compile(
    r"\b(?:like|likes|love|loves|prefer|prefers|enjoy|enjoys|hate|hates|dislike|dislikes|"
    r"can't stand|don't like|favou?rite|fan of|into|am|i'm|we're|was|were|been|"
    r"work|works|working|worked|live|lives|living|lived|moved|born|grew up|"
    r"have|has|had|i've|we've|got|own|owns|married|divorced|engaged|dating|allergic|"
    r"intolerant|vegetarian|vegan|study|studying|studied|graduated|retired|speak|speaks|"
    r"use|uses|using|play|plays|playing|train|training|learning|learn|started|quit|stopped|"
    r"switched|sold|bought|avoid|avoids|need|needs|want to|plan to|planning|going to|"
    r"always|never|usually|name is|call me|is|are|'s)\b",
    re.IGNORECASE,
)


_TRANSIENT = re.compile(
    r"\b(?:today|tonight|this (?:morning|afternoon|evening)|right now|at the moment|atm|"
    r"\d{1,2} ?(?:am|pm))\b",
    re.IGNORECASE,
)


def is_statement(sentence: str) -> bool:
    """A first-person sentence with a durable-fact cue; not a question, greeting or secret, and
    not about this moment only ("today", "tonight", "right now", "at 2am")."""
    core = strip_fillers(sentence)
    return (
        has_first_person(core)
        and bool(_DURABLE_CUE.search(core))
        and not _TRANSIENT.search(core)
        and not is_question(core)
        and not is_small_talk(core)
        and not contains_secret(core)
    )


# --- forget requests -----------------------------------------------------------------------------

_FORGET = re.compile(
    r"\b(?:forget|stop remembering|don't remember|do not remember|don't keep|do not keep|"
    r"wipe|erase|(?:delete|remove|drop|clear)(?= (?:it|that|this|them|everything|all|what|the|"
    r"my|any)\b))\b(?! to\b)\s*(?P<target>.*)$",
    re.IGNORECASE,
)
_NOT_A_REQUEST = re.compile(
    r"\b(?:i|i'll|i'd|i always|don't|do not|never|not|might|may|sometimes)\s+$", re.IGNORECASE
)
_TARGET_LEAD = re.compile(
    r"^(?:(?:all|everything|anything|the stuff|stuff|what you know|what you have|"
    r"you know|you have|on file|of it|the|about|that|what|i said|i told you|i mentioned)\b"
    r"\s*,?\s*)+",
    re.IGNORECASE,
)
_TARGET_TAIL = re.compile(
    r"\s*(?:,.*|\b(?:please|now|anymore|any more|from (?:your )?memory|on file|"
    r"for me|too|as well|ok|okay)\b.*)$",
    re.IGNORECASE,
)
_EVERYTHING = re.compile(
    r"^(?:(?:all|everything|anything)(?: (?:you know|you have))?(?: about)? ?(?:me|myself)?|me|"
    r"myself|my (?:data|info|information|memories|details))$",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"^(?:(?:it|that|this|them|him|her|those|these|all of it|all that)|"
    r"(?:(?:that|this|the|those|these) )?(?:goal|stuff|thing|things|part|info|plan|plans|one))?$",
    re.IGNORECASE,
)
_VAGUE_NOUN = re.compile(r"\s+(?:stuff|things|thing|info|information|details)$", re.IGNORECASE)
_PREFIX_TAIL = re.compile(
    r"[\s,;:]*\b(?:(?:so|and|but|now|please|you can|you could|can you|could you|would you)\s*)+$",
    re.IGNORECASE,
)


def forget_request(sentence: str, previous: str | None, source: str) -> ForgetRequest | None:
    """The forget request in ``sentence``, if it makes one (questions included: "can you forget..").

    The target is what follows the verb, minus lead words ("everything about", "that I said") and
    trailing politeness. "me" / "everything" means every memory. A pronoun ("forget about it",
    "drop that goal") points back: at the start of the sentence when it says something ("Not doing
    the 10K anymore, forget about it"), else at the ``previous`` sentence.
    """
    sentence = sentence.replace("\u2019", "'")
    match = _FORGET.search(sentence)
    if match is None or _NOT_A_REQUEST.search(sentence[: match.start()]):
        return None  # "don't forget to ...", "I forget where ...", "forgetting"
    raw = match.group("target").strip().rstrip(".!?")
    target = _TARGET_TAIL.sub("", _TARGET_LEAD.sub("", raw)).strip()
    if _EVERYTHING.match(target) or (not target and re.search(r"\beverything\b", raw, re.I)):
        return ForgetRequest(None, source)
    if not _PRONOUN.match(target):
        target = _VAGUE_NOUN.sub("", target)
        return ForgetRequest(to_third_person(target), source)
    prefix = _PREFIX_TAIL.sub("", sentence[: match.start()]).strip(" ,;:")
    if len(strip_fillers(prefix).split()) >= 2:
        return ForgetRequest(to_third_person(prefix), source)
    if previous:
        return ForgetRequest(to_third_person(previous), source, uses_previous=True)
    return None


def read_message(text: str, source: str) -> tuple[list[Statement], list[ForgetRequest]]:
    """The statements and forget requests of one user message (in order, duplicates dropped)."""
    sentences = split_sentences(text)
    forgets: list[ForgetRequest] = []
    kept: list[str | None] = list(sentences)
    for i, sentence in enumerate(sentences):
        request = forget_request(sentence, sentences[i - 1] if i else None, source)
        if request is None:
            continue
        forgets.append(request)
        kept[i] = None
        if request.uses_previous:
            kept[i - 1] = None
    statements: list[Statement] = []
    clauses = [clause for sentence in kept if sentence for clause in split_clauses(sentence)]
    for clause in clauses:
        if not is_statement(clause):
            continue
        statement = to_third_person(clause)
        if statement.lower() not in _texts(statements):
            statements.append(Statement(statement, source))
    return statements, forgets


_USER_WORD = re.compile(r"\b(?:the user|User)\b")


def name_subject(statement: str, name: str) -> str:
    """A third-person statement about "User" rewritten about the named speaker."""
    return _USER_WORD.sub(name, statement)


def read_turns(
    turns: Sequence[tuple[str, str, str]],
    speakers: Mapping[str, str] | None = None,
) -> tuple[list[Statement], list[ForgetRequest]]:
    """Statements and forget requests of ``(id, role, text)`` turns; only user turns count.

    ``speakers`` maps a message id to the person speaking: their statements name them
    ("Caroline moved to Porto") instead of "User"."""
    statements: list[Statement] = []
    forgets: list[ForgetRequest] = []
    for id_, role, text in turns:
        if role != "user":
            continue
        found, requests = read_message(text, id_)
        name = (speakers or {}).get(id_)
        if name:
            found = [Statement(name_subject(s.text, name), s.source) for s in found]
            requests = [
                replace(r, target=name_subject(r.target, name)) if r.target else r for r in requests
            ]
        statements.extend(s for s in found if s.text.lower() not in _texts(statements))
        forgets.extend(requests)
    return statements, forgets


def _texts(statements: Sequence[Statement]) -> set[str]:
    return {statement.text.lower() for statement in statements}
