"""baseline/extractive: the best-overlapping listed memory, through litellm's provider path."""

from __future__ import annotations

import pytest

from harness.errors import ConfigurationError
from harness.models import get_model, record_calls
from harness.models.extractive import NO_ANSWER, extract_answer
from harness.templates import load_prompt

PROMPT = """Memories, most relevant first:
- [8 May 2023, Caroline] Caroline went to the LGBTQ support group on 7 May 2023
- [8 May 2023, Melanie] Melanie painted a sunrise over the lake
Question: When did Caroline go to the support group?
Answer:"""


def test_the_memory_sharing_most_words_wins_without_its_metadata():
    # shared content words: caroline, support, group (3) vs none for the second line
    assert extract_answer(PROMPT) == "Caroline went to the LGBTQ support group on 7 May 2023"


def test_ties_go_to_the_better_ranked_memory_and_no_overlap_declines():
    prompt = "- Melanie likes lakes\n- Melanie likes painting\nQuestion: What does Melanie like?"
    assert extract_answer(prompt) == "Melanie likes lakes"
    assert extract_answer("- Bob plays chess\nQuestion: Where is Paris?") == NO_ANSWER
    assert extract_answer("Question: Anything?") == NO_ANSWER


def test_it_answers_through_the_gateway_with_usage():
    model = get_model("baseline/extractive")
    with record_calls() as calls:
        reply = model.generate([{"role": "user", "content": PROMPT}])
    assert reply.text == "Caroline went to the LGBTQ support group on 7 May 2023"
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert [c.model for c in calls] == ["baseline/extractive"]
    assert calls[0].usage.cost_usd is None


def test_memory_systems_are_not_answer_models():
    with pytest.raises(ConfigurationError, match="'baseline/oracle' is a memory system"):
        get_model("baseline/oracle")


def test_both_shipped_templates_keep_the_shape_extractive_reads():
    memories = [
        {
            "id": "m1",
            "text": "Caroline went to the support group on 7 May 2023",
            "session_date": "2023-05-08",
            "speaker": "Caroline",
            "source": ["D1:3"],
            "score": 0.9,
        }
    ]
    values = {
        "question": "When did Caroline go to the support group?",
        "question_date": None,
        "source": "memories",
        "memories": memories,
    }
    for name in ("default", "locomo"):
        text = load_prompt("answer", name).render_values(values)
        assert extract_answer(text) == "Caroline went to the support group on 7 May 2023"
    locomo = load_prompt("answer", "locomo").render_values(values)
    assert "- [2023-05-08, Caroline] Caroline went" in locomo
    empty = load_prompt("answer", "default").render_values({**values, "memories": []})
    assert "No memories were found" in empty and extract_answer(empty) == NO_ANSWER


def test_a_misspelt_variable_names_the_template_and_line(tmp_path):
    path = tmp_path / "mine.j2"
    path.write_text("Q: {{ question }}\n{{ memoris }}\n")
    template = load_prompt("answer", str(path))
    with pytest.raises(ConfigurationError, match=r"line 2: 'memoris' is undefined"):
        template.render_values({"question": "q", "memories": []})
    with pytest.raises(ConfigurationError, match="unknown answer template 'nope'"):
        load_prompt("answer", "nope")
