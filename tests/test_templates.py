"""Instruction templates: the shipped ones render, errors name template and line, hashes differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigurationError
from harness.memory._prompt import DEFAULT_INSTRUCTIONS
from harness.memory.schemas import Memory
from harness.templates import (
    InstructionTemplate,
    TemplateVariables,
    list_templates,
    load_template,
)

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


@pytest.fixture(autouse=True)
def _prompts_dir(monkeypatch):
    monkeypatch.setenv("HARNESS_PROMPTS_DIR", str(PROMPTS))


def test_at_least_three_templates_ship():
    assert {"default", "concise", "explicit"} <= set(list_templates())


def test_default_template_renders_the_library_default():
    assert load_template("default").render() == DEFAULT_INSTRUCTIONS.strip() + "\n"


@pytest.mark.parametrize("name", ["default", "concise", "explicit"])
def test_optional_variables_appear_only_when_set(name):
    template = load_template(name)
    plain = template.render(TemplateVariables())
    dated = template.render(TemplateVariables(today="2026-03-02", user_name="Ana"))
    assert "2026-03-02" not in plain and "Ana" not in plain
    assert "2026-03-02" in dated and "Ana" in dated


def test_explicit_template_follows_the_enabled_operations():
    template = load_template("explicit")
    with_deletes = template.render(TemplateVariables(enable_deletes=True))
    without = template.render(TemplateVariables(enable_deletes=False, enable_updates=False))
    assert "Delete when the user asks" in with_deletes
    assert "Delete when" not in without and "Update, never duplicate" not in without


def test_schema_descriptions_are_listed_when_several_schemas():
    class PreferenceMemory(Memory):
        """A preference with its context."""

    text = load_template("explicit").render(
        TemplateVariables.for_schemas([Memory, PreferenceMemory])
    )
    assert "- PreferenceMemory: A preference with its context." in text


def test_undefined_variable_names_template_and_line():
    template = InstructionTemplate("mine", "Line one\n{{ user_nme }}\n")
    with pytest.raises(ConfigurationError, match=r"'mine' line 2: 'user_nme' is undefined"):
        template.render()


def test_syntax_error_fails_at_load_with_line(tmp_path):
    broken = tmp_path / "broken.j2"
    broken.write_text("ok\nfine\n{{ today | }}\n")
    with pytest.raises(ConfigurationError, match=r"broken\.j2' line 3: syntax error"):
        load_template(broken)


def test_sandbox_blocks_unsafe_attribute_access():
    template = InstructionTemplate("evil", "{{ schemas.__class__.__mro__ }}")
    with pytest.raises(ConfigurationError, match="evil"):
        template.render()


def test_unknown_template_lists_known_ones():
    with pytest.raises(ConfigurationError, match=r"unknown template 'nope'.*concise, default"):
        load_template("nope")


def test_content_hash_tracks_edits(tmp_path):
    original = load_template("default")
    edited = tmp_path / "default.j2"
    edited.write_text(original.source + "Be brief.\n")
    assert load_template(edited).content_hash != original.content_hash
    assert load_template("default").content_hash == original.content_hash


def test_explicit_template_uses_the_session_date_and_speakers():
    from harness.templates import TemplateVariables

    template = load_template("explicit")
    dated = template.render(
        TemplateVariables(session_date="2023-05-08T13:56", speakers=("Caroline", "Melanie"))
    )
    assert "This conversation took place on 2023-05-08T13:56." in dated
    assert "Several people speak here (Caroline, Melanie)" in dated
    plain = template.render(TemplateVariables(speakers=("Caroline",)))
    assert "took place on" not in plain and "Several people" not in plain


def test_proposals_must_render_with_and_without_session_variables():
    from harness.optimize.proposer import VARIABLES, validation_variables
    from harness.templates import TemplateVariables

    assert set(VARIABLES) == set(TemplateVariables.model_fields)
    _, full, bare = validation_variables(TemplateVariables())
    assert (full.session_date, full.speakers) == ("2023-05-08T13:56", ("Caroline", "Melanie"))
    assert (bare.session_date, bare.speakers) == (None, ())
