"""The heuristic baseline: its text rules and decisions (pure functions, hand-checked tables),
then the baseline end to end with the real MiniLM embedder."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from harness.baselines._heuristic import (
    ForgetRequest,
    contains_secret,
    forget_request,
    is_question,
    is_small_talk,
    is_statement,
    read_message,
    read_turns,
    split_clauses,
    split_sentences,
)
from harness.baselines._heuristic_plan import (
    Decision,
    choose_schema,
    plan,
    same_text,
    statement_value,
)
from harness.baselines._rewrite import conjugate, to_third_person
from harness.baselines.registry import get_baseline
from harness.memory.schemas import Memory, memory_text


class Preference(BaseModel):
    category: str
    preference: str
    context: str


class Reading(BaseModel):
    value: int
    note: str


def user(text: str, id_: str = "u1") -> dict[str, str]:
    return {"id": id_, "role": "user", "content": text}


def mem(id_: str, text: str) -> tuple[str, str, dict[str, str]]:
    return (id_, "Memory", {"content": text})


# --- third person --------------------------------------------------------------------------------

REWRITES = [
    ("I prefer dark mode", "User prefers dark mode"),
    ("my sister Maya lives in Lisbon", "User's sister Maya lives in Lisbon"),
    ("I'm vegan.", "User is vegan"),
    ("I am a nurse", "User is a nurse"),
    ("I've been running for years", "User has been running for years"),
    ("I have two cats", "User has two cats"),
    ("I don't like country music", "User doesn't like country music"),
    ("I really like jazz", "User really likes jazz"),
    ("I no longer have a car", "User no longer has a car"),
    ("I'd rather not fly", "User would rather not fly"),
    ("I'll start in May", "User will start in May"),
    ("I can't stand cilantro", "User can't stand cilantro"),
    ("I moved to Berlin last year", "User moved to Berlin last year"),
    ("I sold my PS5", "User sold their PS5"),
    ("I need a quiet desk", "User needs a quiet desk"),
    ("I go climbing on Fridays", "User goes climbing on Fridays"),
    ("I watch anime", "User watches anime"),
    ("I study physics", "User studies physics"),
    ("Honestly i love my dog", "User loves their dog"),
    ("coffee makes me sick", "Coffee makes the user sick"),
    ("the flat is mine", "The flat is the user's"),
    ("I taught myself SQL", "User taught themselves SQL"),
    ("I live in Oslo and work as a nurse", "User lives in Oslo and works as a nurse"),
    ("My wife and I live in Porto", "User's wife and the user live in Porto"),
    ("we have two kids", "User and their family have two kids"),
    ("our dog is called Rex", "User's dog is called Rex"),
    ("oh and btw, I play tennis on Sundays", "User plays tennis on Sundays"),
    ("quick fix: I'm a UX designer", "User is a UX designer"),
    ("I'm Carla btw", "User is Carla"),
    ("the recipe is from a US blog", "The recipe is from a US blog"),
]


@pytest.mark.parametrize(("sentence", "expected"), REWRITES)
def test_third_person_rewrite(sentence, expected):
    assert to_third_person(sentence) == expected


@pytest.mark.parametrize(
    ("verb", "expected"),
    [("like", "likes"), ("watch", "watches"), ("go", "goes"), ("study", "studies"),
     ("play", "plays"), ("have", "has"), ("am", "is"), ("need", "needs"), ("moved", "moved"),
     ("meant", "meant"), ("can", "can"), ("don't", "doesn't"), ("haven't", "hasn't")],
)  # fmt: skip
def test_conjugate(verb, expected):
    assert conjugate(verb) == expected


# --- sentences and what is kept ------------------------------------------------------------------


def test_split_sentences_keeps_initials_and_drops_quotes():
    text = 'I love Ursula K. Le Guin. Dr. Patel is my GP!\nEdit this: "Send me the report."'
    assert split_sentences(text) == [
        "I love Ursula K. Le Guin.",
        "Dr. Patel is my GP!",
        "Edit this:",
    ]


def test_split_clauses_only_before_a_new_first_person_subject():
    assert split_clauses("I'm 34, I have type 1 diabetes, and I want to meal prep") == [
        "I'm 34",
        "I have type 1 diabetes",
        "I want to meal prep",
    ]
    assert split_clauses("My wife and I live in Porto") == ["My wife and I live in Porto"]
    assert split_clauses("I like tea but my partner prefers coffee") == [
        "I like tea",
        "my partner prefers coffee",
    ]


@pytest.mark.parametrize(
    "sentence",
    ["What's the capital of Australia?", "can you help me with my CV", "Please give me a recipe",
     "how do I fix my bike", "Recommend me a book I might like"],
)  # fmt: skip
def test_questions_and_requests(sentence):
    assert is_question(sentence)
    assert not is_statement(sentence)


@pytest.mark.parametrize("sentence", ["Hi there!", "thanks so much", "ok ty", "good night"])
def test_small_talk(sentence):
    assert is_small_talk(sentence)
    assert not is_statement(sentence)


@pytest.mark.parametrize(
    "sentence",
    ["my wifi password is tulip-Harbor-88", "PIN for my card is 4471", "my CVV is 713",
     "here's my API key sk-proj-7fQ2xLm9TbV4wK1z", "my card is 4539 1488 0343 6467",
     "call me on 555-123-4567", "my security answer is Mr. Whiskers", "the code is 5821",
     "our staging password is Xq9vvT2m"],
)  # fmt: skip
def test_secrets_are_recognised(sentence):
    assert contains_secret(sentence)
    assert not is_statement(sentence)


@pytest.mark.parametrize(
    "sentence",
    ["I was born in 1990", "my flight is on 2026-05-02", "I have 3 kids",
     "my GitHub username is octo-dev-42"],
)  # fmt: skip
def test_years_dates_and_small_numbers_are_not_secrets(sentence):
    assert not contains_secret(sentence)


@pytest.mark.parametrize(
    ("sentence", "kept"),
    [("I prefer dark mode", True), ("my sister lives in Lisbon", True),
     ("I'm so tired today", False),  # about this moment only
     ("it's 2am and I'm still debugging", False),
     ("The weather is nice", False),  # not first person
     ("I think so", False)],  # no durable-fact cue
)  # fmt: skip
def test_is_statement(sentence, kept):
    assert is_statement(sentence) is kept


# --- forget requests -----------------------------------------------------------------------------

FORGETS = [
    ("please forget everything about my ex", "User's ex"),
    ("Forget my salary info, I don't like that being stored", "User's salary"),
    ("Can you forget that I said I like horror movies?", "User likes horror movies"),
    ("delete what you know about my job", "User's job"),
    ("don't remember my birthday", "User's birthday"),
    ("I'm switching coaches, forget about Marco", "Marco"),
    ("Not doing the May 10K anymore, forget about it", "Not doing the May 10K anymore"),
    ("so I'm done job hunting, you can drop that goal", "User is done job hunting"),
]


@pytest.mark.parametrize(("sentence", "target"), FORGETS)
def test_forget_targets(sentence, target):
    assert forget_request(sentence, None, "m") == ForgetRequest(target, "m")


@pytest.mark.parametrize(
    "sentence", ["Please wipe everything you know about me", "forget everything", "forget me"]
)
def test_forget_everything(sentence):
    assert forget_request(sentence, None, "m") == ForgetRequest(None, "m")


@pytest.mark.parametrize(
    "sentence",
    ["don't forget to buy milk", "I forget where I parked", "I keep forgetting names",
     "I don't remember the title", "never forget your roots", "I like this"],
)  # fmt: skip
def test_not_forget_requests(sentence):
    assert forget_request(sentence, None, "m") is None


def test_forget_it_points_at_the_previous_sentence_which_is_not_stored():
    statements, forgets = read_message(
        "I'm not comfortable with you having my home address. Can you remove it?", "m7"
    )
    assert forgets == [
        ForgetRequest("User is not comfortable with you having their home address", "m7", True)
    ]
    assert statements == []


def test_read_turns_reads_user_messages_only_and_drops_repeats():
    turns = [
        ("u1", "user", "I love jazz. Thanks! What should I play?"),
        ("a1", "assistant", "I love jazz too. My favourite is Coltrane."),
        ("u2", "user", "I love jazz!"),
        ("u3", "user", "I also have a dog."),
    ]
    statements, forgets = read_turns(turns)
    assert [(s.text, s.source) for s in statements] == [
        ("User loves jazz", "u1"),
        ("User also has a dog", "u3"),
    ]
    assert forgets == []


# --- decisions -----------------------------------------------------------------------------------


def test_plan_inserts_when_nothing_is_similar():
    decisions = plan(["User likes tea"], [], ["User lives in Oslo"], [[0.2]], [])
    assert decisions == [Decision("insert", statement=0)]


def test_plan_updates_one_to_one_most_similar_first():
    sims = [[0.70, 0.60], [0.90, 0.10], [0.58, 0.20]]
    decisions = plan(["a", "b", "c"], [], ["x", "y"], sims, [], update_threshold=0.55)
    # b-x (0.90) first; a cannot take x any more, so a-y (0.60); c (0.58 to x only) is inserted
    assert decisions == [
        Decision("update", statement=1, memory=0, similarity=0.90),
        Decision("update", statement=0, memory=1, similarity=0.60),
        Decision("insert", statement=2),
    ]


def test_plan_updates_only_memories_of_the_same_kind():
    decisions = plan(["a"], [], ["x"], [[0.95]], [], updatable=[False])
    assert decisions == [Decision("insert", statement=0)]


def test_plan_skips_restatements():
    decisions = plan(["User likes tea."], [], ["user likes tea"], [[0.99]], [])
    assert decisions == []
    assert same_text("User's dog, Rex!", "user's dog rex")


def test_plan_forget_deletes_everything_above_threshold_then_never_updates_it():
    decisions = plan(
        ["a"], ["t"], ["x", "y", "z"], [[0.9, 0.1, 0.1]], [[0.5, 0.46, 0.44]], forget_threshold=0.45
    )
    assert decisions == [
        Decision("delete", memory=0, forget=0, similarity=0.5),
        Decision("delete", memory=1, forget=0, similarity=0.46),
        Decision("insert", statement=0),  # x, its best match, is gone
    ]
    everything = plan([], [None], ["x", "y"], [], [[]])
    assert [d.memory for d in everything if d.op == "delete"] == [0, 1]


def test_plan_honours_disabled_actions():
    args = (["a", "b"], ["t"], ["x", "y"], [[0.9, 0.0], [0.0, 0.1]], [[0.0, 0.9]])
    assert plan(*args, deletes=False) == [
        Decision("update", statement=0, memory=0, similarity=0.9),
        Decision("insert", statement=1),
    ]
    # no updates: the near-duplicate is dropped, not inserted
    assert plan(*args, updates=False) == [
        Decision("delete", memory=1, forget=0, similarity=0.9),
        Decision("insert", statement=1),
    ]
    assert [d.op for d in plan(*args, inserts=False)] == ["delete", "update"]


def test_statement_value_maps_onto_schemas():
    assert statement_value(Memory, "User likes tea") == Memory(content="User likes tea")
    assert statement_value(Preference, "User likes tea") == Preference(
        category="general", preference="User likes tea", context=""
    )
    base = Preference(category="drinks", preference="coffee", context="mornings")
    assert statement_value(Preference, "User likes tea", base) == Preference(
        category="drinks", preference="User likes tea", context="mornings"
    )
    assert statement_value(Reading, "User likes tea") is None  # a required int: no place
    assert choose_schema([Preference, Memory]) is Memory
    assert choose_schema([Reading, Preference]) is Preference
    assert choose_schema([Reading]) is None


# --- the baseline end to end (real MiniLM embeddings) --------------------------------------------


@pytest.fixture(scope="module")
def heuristic():
    return get_baseline("baseline/heuristic")


def ops_of(result):
    return [(op.op, op.id, memory_text(op.after)) for op in result.operations]


def test_inserts_third_person_statements_with_their_source(heuristic):
    result = heuristic.invoke(
        {"messages": [user("I prefer dark mode. My sister Maya lives in Lisbon.", "t1")]}
    )
    assert [(op.op, memory_text(op.after), op.source) for op in result.operations] == [
        ("insert", "User prefers dark mode", ["t1"]),
        ("insert", "User's sister Maya lives in Lisbon", ["t1"]),
    ]
    assert result.usage.cost_usd == 0.0 and result.usage.input_tokens == 0
    assert [type(m.content) for m in result] == [Memory, Memory]


def test_updates_the_similar_memory_of_the_same_kind(heuristic):
    existing = [
        mem("m1", "User prefers light mode"),
        mem("m2", "User lives in Oslo"),
        ("p1", "Preference", {"category": "ui", "preference": "light", "context": ""}),
    ]
    result = heuristic.invoke(
        {"messages": [user("Actually I prefer dark mode now.")], "existing": existing}
    )
    assert ops_of(result) == [
        ("update", "m1", "User prefers dark mode now"),
        ("none", "m2", "User lives in Oslo"),
        ("none", "p1", "category: ui; preference: light; context: "),
    ]
    assert result.operations[0].before == {"content": "User prefers light mode"}


def test_deletes_on_explicit_forget_requests(heuristic):
    existing = [mem("m1", "User likes horror movies"), mem("m2", "User lives in Oslo")]
    result = heuristic.invoke(
        {"messages": [user("Please forget that I like horror movies.")], "existing": existing}
    )
    assert [(op.op, op.id) for op in result.operations] == [("delete", "m1"), ("none", "m2")]
    wipe = heuristic.invoke(
        {"messages": [user("Wipe everything you know about me.")], "existing": existing}
    )
    assert [(op.op, op.id) for op in wipe.operations] == [("delete", "m1"), ("delete", "m2")]


def test_never_stores_secrets_questions_greetings_or_assistant_words(heuristic):
    messages = [
        user("my password is hunter2 and my PIN is 4471", "u1"),
        user("Hi there! Thanks so much!", "u2"),
        user("What time is it in Tokyo?", "u3"),
        {"id": "a1", "role": "assistant", "content": "I love jazz and I live in Paris."},
    ]
    result = heuristic.invoke({"messages": messages, "existing": ["User likes tea"]})
    assert [op.op for op in result.operations] == ["none"]
    assert list(result) == []


def test_ids_are_deterministic(heuristic):
    request = {"messages": [user("I love jazz. I have a dog.")], "existing": ["User likes tea"]}
    first, second = heuristic.invoke(request), heuristic.invoke(request)
    assert ops_of(first) == ops_of(second)
    assert len({op.id for op in first.operations}) == 3
    other = heuristic.invoke({"messages": [user("I love jazz. I have a cat.")]})
    assert other.operations[0].id != first.operations[1].id  # another conversation, other ids


def test_structured_schema_gets_a_best_effort_mapping():
    baseline = get_baseline("baseline/heuristic", schemas=[Preference])
    existing = [("p1", "Preference", {"category": "ui", "preference": "User prefers light mode",
                                      "context": "at work"})]  # fmt: skip
    result = baseline.invoke(
        {"messages": [user("I prefer dark mode. I love jazz.")], "existing": existing}
    )
    assert [(op.op, op.kind, op.after) for op in result.operations] == [
        ("update", "Preference",
         {"category": "ui", "preference": "User prefers dark mode", "context": "at work"}),
        ("insert", "Preference",
         {"category": "general", "preference": "User loves jazz", "context": ""}),
    ]  # fmt: skip
    assert isinstance(result[1].content, Preference)


def test_unmappable_schema_stores_nothing_but_still_deletes():
    baseline = get_baseline("baseline/heuristic", schemas=[Reading])
    existing = [("r1", "Reading", {"value": 3, "note": "User likes horror movies"})]
    result = baseline.invoke(
        {"messages": [user("I love jazz. Forget that I like horror movies.")], "existing": existing}
    )
    assert [(op.op, op.id) for op in result.operations] == [("delete", "r1")]


def test_options_change_the_decisions():
    existing = [mem("m1", "User prefers light mode")]
    message = {"messages": [user("I prefer dark mode.")], "existing": existing}
    strict = get_baseline("baseline/heuristic", update_threshold=0.99)
    assert [op.op for op in strict.invoke(message).operations] == ["none", "insert"]
    no_updates = get_baseline("baseline/heuristic", enable_updates=False)
    assert [op.op for op in no_updates.invoke(message).operations] == ["none"]
