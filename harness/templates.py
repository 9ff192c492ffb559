"""Instruction templates: Jinja2 files in ``prompts/`` rendered into a manager's instructions.

Templates run in a sandbox with strict undefined variables, so a typo in a variable name fails
loudly with the template name and line instead of silently rendering an empty string. Every
template carries a content hash that runs record, so an edited template is never mistaken for the
original.

Variables available to every template (see ``prompts/README.md``):

``enable_inserts``, ``enable_updates``, ``enable_deletes``
    Which operations the manager may perform (booleans).
``schemas``
    One entry per memory schema: ``name``, ``description`` and ``fields`` (each with ``name``,
    ``type`` and ``description``).
``today``
    The date to resolve relative dates against (ISO string), or None when not pinned.
``user_name``
    The user's name when known, else None.
``session_date``
    The data time of the session being read (ISO 8601, e.g. ``2023-05-08T13:56``), or None when
    the data gives none. Instructions that use it are rendered per session.
``speakers``
    The names of the people speaking in the session, in order of first appearance (empty when
    the messages name no speaker).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness._bundled import bundled_path
from harness.errors import ConfigurationError

TEMPLATE_SUFFIX = ".j2"
DEFAULT_TEMPLATE = "default"


class FieldInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: str
    description: str = ""


class SchemaInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    fields: tuple[FieldInfo, ...] = ()

    @classmethod
    def from_model(cls, model: type[BaseModel]) -> SchemaInfo:
        fields = tuple(
            FieldInfo(
                name=name,
                type=_type_name(info.annotation),
                description=info.description or "",
            )
            for name, info in model.model_fields.items()
        )
        return cls(name=model.__name__, description=(model.__doc__ or "").strip(), fields=fields)


class TemplateVariables(BaseModel):
    """Everything a template may refer to; unknown names fail at render time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enable_inserts: bool = True
    enable_updates: bool = True
    enable_deletes: bool = False
    schemas: tuple[SchemaInfo, ...] = Field(default_factory=tuple)
    today: str | None = None
    user_name: str | None = None
    session_date: str | None = None
    speakers: tuple[str, ...] = ()

    @classmethod
    def for_schemas(cls, schemas: Sequence[type[BaseModel]], **values: Any) -> TemplateVariables:
        return cls(schemas=tuple(SchemaInfo.from_model(s) for s in schemas), **values)


@dataclass(frozen=True)
class InstructionTemplate:
    """A loaded template: its name, where it came from, its source and the source's hash."""

    name: str
    source: str
    path: Path | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def render(self, variables: TemplateVariables | None = None) -> str:
        """The instructions text; errors name the template and line."""
        return self.render_values((variables or TemplateVariables()).model_dump())

    def render_values(self, values: Mapping[str, Any]) -> str:
        """Render with plain values (answer and judge templates); errors name template and line."""
        from jinja2 import TemplateError, UndefinedError

        template = _compile(self.name, self.source)
        try:
            text = template.environment.render(template, values)
        except UndefinedError as error:
            line = _template_line(self.name, sys.exc_info()[2])
            raise ConfigurationError(
                f"template {self.name!r}{_at(line)}: {error.message} "
                f"(available variables: {', '.join(sorted(values))})"
            ) from error
        except TemplateError as error:
            line = _template_line(self.name, sys.exc_info()[2])
            raise ConfigurationError(f"template {self.name!r}{_at(line)}: {error}") from error
        except (Exception, RecursionError) as error:  # the template's own fault: 1 / 0, ...
            line = _template_line(self.name, sys.exc_info()[2])
            raise ConfigurationError(
                f"template {self.name!r}{_at(line)}: {type(error).__name__}: {_short(error)}"
            ) from error
        return text.strip() + "\n"


def prompts_dir() -> Path:
    """Where named templates are looked up first: ``$HARNESS_PROMPTS_DIR``, else ``./prompts``
    if it exists, else the bundled ones (names missing from the first two fall back to those)."""
    configured = os.environ.get("HARNESS_PROMPTS_DIR")
    if configured:
        return Path(configured)
    local = Path.cwd() / "prompts"
    if local.is_dir():
        return local
    return bundled_prompts_dir()


def bundled_prompts_dir() -> Path:
    """The templates shipped with the harness (read-only: never write here)."""
    return bundled_path("prompts")


def output_prompts_dir() -> Path:
    """Where new templates (optimizer winners) are written: ``$HARNESS_PROMPTS_DIR``, else
    ``./prompts`` under the working directory, never the installed package."""
    configured = os.environ.get("HARNESS_PROMPTS_DIR")
    return Path(configured) if configured else Path.cwd() / "prompts"


def list_templates() -> list[str]:
    """Names of the templates found by name: those of :func:`prompts_dir` and the bundled."""
    names = {
        p.stem
        for directory in dict.fromkeys([prompts_dir(), bundled_prompts_dir()])
        if directory.is_dir()
        for p in directory.glob(f"*{TEMPLATE_SUFFIX}")
    }
    return sorted(names)


def load_template(name_or_path: str | os.PathLike[str] = DEFAULT_TEMPLATE) -> InstructionTemplate:
    """Load a template by name (``concise``) or by path; syntax errors are reported at once."""
    path = _resolve(str(name_or_path))
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigurationError(f"template {str(path)!r} is not UTF-8 text: {error}") from error
    name = path.stem if path.parent in (prompts_dir(), bundled_prompts_dir()) else str(path)
    template = InstructionTemplate(name=name, source=source, path=path)
    _compile(template.name, template.source)
    return template


PROMPT_KINDS = ("answer", "judge")
"""Subfolders of ``prompts/`` holding the answer-stage and judge templates."""


def load_prompt(kind: str, name_or_path: str | os.PathLike[str]) -> InstructionTemplate:
    """Load an answer or judge template by name (from ``prompts/<kind>/``) or by path."""
    if kind not in PROMPT_KINDS:
        raise ConfigurationError(f"unknown prompt kind {kind!r}; expected one of {PROMPT_KINDS}")
    folder = prompts_dir() / kind
    if not (folder / f"{name_or_path}{TEMPLATE_SUFFIX}").is_file():
        bundled = bundled_prompts_dir() / kind
        folder = bundled if (bundled / f"{name_or_path}{TEMPLATE_SUFFIX}").is_file() else folder
    named = folder / f"{name_or_path}{TEMPLATE_SUFFIX}"
    path = named if named.is_file() else Path(name_or_path)
    if not path.is_file():
        known = sorted(p.stem for p in folder.glob(f"*{TEMPLATE_SUFFIX}"))
        raise ConfigurationError(
            f"unknown {kind} template {str(name_or_path)!r}: not a file and not one of "
            f"{', '.join(known) or '(none)'} in prompts/{kind}/"
        )
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigurationError(f"template {str(path)!r} is not UTF-8 text: {error}") from error
    name = f"{kind}/{path.stem}" if path == named else str(path)
    template = InstructionTemplate(name=name, source=source, path=path)
    _compile(template.name, template.source)
    return template


def _resolve(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix and candidate.is_file():
        return candidate
    for folder in (prompts_dir(), bundled_prompts_dir()):
        named = folder / f"{name_or_path}{TEMPLATE_SUFFIX}"
        if named.is_file():
            return named
    if candidate.is_file():
        return candidate
    known = ", ".join(list_templates()) or "(none)"
    raise ConfigurationError(
        f"unknown template {name_or_path!r}: not a file and not one of the templates in "
        f"{prompts_dir()} ({known})"
    )


@functools.lru_cache(maxsize=64)
def _compile(name: str, source: str) -> Any:
    """The compiled template, in a sandbox of limited time, size and call depth (see
    :mod:`harness._sandbox`); cached: rendering runs once per question in the answer stage."""
    from jinja2 import TemplateSyntaxError

    from harness._sandbox import LimitedEnvironment

    environment = LimitedEnvironment()
    try:
        return environment.from_string(source, globals={"__template_name__": name})
    except TemplateSyntaxError as error:
        raise ConfigurationError(
            f"template {name!r}{_at(error.lineno)}: syntax error: {error.message}"
        ) from error
    except (Exception, RecursionError) as error:  # nested too deep to parse, ...
        raise ConfigurationError(
            f"template {name!r}: cannot be compiled: {type(error).__name__}: {_short(error)}"
        ) from error


def _short(error: BaseException, limit: int = 200) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return text if len(text) <= limit else text[:limit] + "..."


def _template_line(name: str, tb: Any) -> int | None:
    """The template line of the innermost frame that belongs to the rendered template."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _at(line: int | None) -> str:
    return f" line {line}" if line else ""


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")
