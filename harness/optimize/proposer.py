"""The reflection step: show the proposer model a template and the cases it fails, read back an
edited template, and check that it loads and renders before anything is spent on it.

:func:`reflection_messages` and :func:`parse_proposal` / :func:`validate_template` are pure;
:func:`apropose` is the thin wrapper that makes the one model call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness.errors import ConfigurationError
from harness.models.types import GenerateConfig
from harness.models.usage import call_purpose
from harness.optimize.feedback import CaseFeedback, render_feedback
from harness.templates import InstructionTemplate, TemplateVariables

VARIABLES: dict[str, str] = {
    "enable_inserts": "bool: whether the model may add new memories",
    "enable_updates": "bool: whether the model may rewrite stored memories",
    "enable_deletes": "bool: whether the model may delete stored memories",
    "schemas": (
        "list of memory kinds, each with .name, .description and .fields "
        "(each field with .name, .type, .description)"
    ),
    "today": "str or None: the date relative dates are resolved against",
    "user_name": "str or None: the user's name when known",
    "session_date": "str or None: the date and time of the conversation being read (ISO 8601)",
    "speakers": "list of str: the names of the people speaking in the conversation (may be empty)",
}
"""Every variable a template may use (the same set as :class:`TemplateVariables`)."""

PROPOSER_TIMEOUT_S = 300.0
"""A whole template is a long answer; allow more than the default per-call timeout."""

METRIC_NAMES: dict[str, str] = {
    "micro_f1": "F1 over the case's memory operations",
    "exact_session_accuracy": "share of sessions with exactly the right changes",
    "final_f1": "F1 of the final memory state",
    "qa_f1": "token F1 of the answers given from the stored memories",
    "qa_j": "share of answers from the stored memories a judge accepts",
    "qa_bleu1": "BLEU-1 of the answers given from the stored memories",
    "qa_em": "share of answers from the stored memories that match exactly",
}

SYSTEM = """\
You improve the instructions of a memory-extraction model. After each conversation that model \
reads the dialogue and the memories already stored about the user, then calls tools to insert, \
update or delete memories. Its instructions are rendered from a Jinja2 template.

You will see the current template and conversations where the model made mistakes, with the \
changes it should have made, the changes it did make, and how each difference was judged. Find \
the patterns behind the mistakes and rewrite the template so the model avoids them. Keep the \
rules that work. State general rules, not facts about these particular conversations: the \
template must work for users and topics you have not seen."""

_TASK = """\
## Your answer
Reply with the complete new template between <template> and </template>, nothing after it. Use \
only the variables listed above; any other name fails. Jinja2 comments ({# ... #}) are not \
shown to the model. The tool names and how ids are written are explained to the model \
separately, so the template only needs to say what to remember and how."""


@dataclass(frozen=True)
class Proposal:
    """A proposer reply and the template read from it (``error`` set when it is unusable)."""

    response: str
    source: str | None
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None and self.source is not None


def reflection_messages(
    template_source: str, failures: Sequence[CaseFeedback], metric: str
) -> list[dict[str, str]]:
    """The chat messages asking for an improved template."""
    variables = "\n".join(f"- `{name}`: {meaning}" for name, meaning in VARIABLES.items())
    cases = "\n\n".join(render_feedback(item, metric) for item in failures)
    measure = METRIC_NAMES.get(metric, metric)
    user = (
        f"## Current template\n<template>\n{template_source.strip()}\n</template>\n\n"
        f"## Variables the template may use\n{variables}\n\n"
        f"## Cases the current template gets wrong (score: {measure}, 1.00 is perfect)\n"
        f"{cases}\n\n{_TASK}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


_TAGGED = re.compile(r"<template>\s*\n?(.*?)</template>", re.DOTALL | re.IGNORECASE)
_OPEN_TAG = re.compile(r"<template>\s*\n?(.*)\Z", re.DOTALL | re.IGNORECASE)
_FENCED = re.compile(r"```[\w+-]*[ \t]*\n(.*?)```", re.DOTALL)


def extract_template(response: str) -> str | None:
    """The template in a reply: the last ``<template>`` block, else the last fenced code block,
    else an unterminated ``<template>`` block; None when there is none."""
    text = response or ""
    patterns = [_TAGGED, _FENCED]
    if "</template>" not in text.lower():
        patterns.append(_OPEN_TAG)
    for pattern in patterns:
        found = pattern.findall(text)
        if found and found[-1].strip():
            return found[-1].strip() + "\n"
    return None


def validation_variables(run_variables: TemplateVariables) -> list[TemplateVariables]:
    """The variable sets a proposal must render with: as the runs will use it, then with every
    switch on and every optional value set, then with everything off (so strict undefined
    variables inside conditional branches are caught too)."""
    full = run_variables.model_copy(
        update={
            "enable_inserts": True,
            "enable_updates": True,
            "enable_deletes": True,
            "today": run_variables.today or "2025-01-15",
            "user_name": run_variables.user_name or "Alex",
            "session_date": run_variables.session_date or "2023-05-08T13:56",
            "speakers": run_variables.speakers or ("Caroline", "Melanie"),
        }
    )
    bare = run_variables.model_copy(
        update={
            "enable_inserts": False,
            "enable_updates": False,
            "enable_deletes": False,
            "today": None,
            "user_name": None,
            "session_date": None,
            "speakers": (),
        }
    )
    return [run_variables, full, bare]


def validate_template(
    source: str, name: str, variables: Sequence[TemplateVariables]
) -> InstructionTemplate:
    """Compile and render ``source`` with each variable set; ConfigurationError says why not."""
    template = InstructionTemplate(name=name, source=source)
    for values in variables:
        if not template.render(values).strip():
            raise ConfigurationError(f"template {name!r} renders to empty instructions")
    return template


def parse_proposal(response: str, name: str, variables: Sequence[TemplateVariables]) -> Proposal:
    """Read and check the template in a proposer reply."""
    source = extract_template(response)
    if source is None:
        return Proposal(response, None, "the reply holds no template (no <template> block)")
    try:
        validate_template(source, name, variables)
    except ConfigurationError as error:
        return Proposal(response, source, str(error))
    return Proposal(response, source)


async def apropose(
    model, messages: list[dict[str, str]], *, temperature: float | None = None
) -> str:
    """One proposer call (purpose ``propose``); returns the reply text."""
    with call_purpose("propose"):
        config = GenerateConfig(temperature=temperature, timeout=PROPOSER_TIMEOUT_S)
        response = await model.agenerate(messages, config=config)
    return response.text or ""
