"""Judge agreement: Cohen's kappa and confusion counts by hand, the judgement file format, the
command on a scripted judge, and the shipped hand-labelled set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli.judges import app
from harness.data.judgements import load_judgements
from harness.errors import DatasetError
from harness.scoring.judge_agreement import AgreementCounts, JudgedItem, agreement, cohen_kappa
from harness.scoring.judging import JudgeVerdict

SHIPPED = Path(__file__).parents[2] / "datasets" / "judgements.jsonl"
runner = CliRunner()


@pytest.mark.parametrize(
    ("table", "kappa"),
    [
        # po = 0.85, pe = (50*45 + 50*55) / 100^2 = 0.5, kappa = 0.35 / 0.5
        ((40, 10, 5, 45), 0.7),
        # po = 0.6, pe = (4*4 + 1*1) / 25 = 0.68, kappa = -0.08 / 0.32
        ((3, 1, 1, 0), -0.25),
        # po = 1, pe = (5*5 + 5*5) / 100 = 0.5: perfect agreement
        ((5, 0, 0, 5), 1.0),
    ],
)
def test_cohen_kappa_by_hand(table, kappa):
    assert cohen_kappa(*table) == pytest.approx(kappa)


@pytest.mark.parametrize("table", [(0, 0, 0, 0), (4, 0, 0, 0), (0, 0, 0, 7)])
def test_kappa_is_undefined_without_a_denominator(table):
    assert cohen_kappa(*table) is None


def _item(id_, human, judge, tags=(), protocol="locomo", type_=None):
    return JudgedItem(id_, human, JudgeVerdict(judge), tuple(tags), protocol, type_)


def test_agreement_tallies_and_leaves_judge_errors_out():
    items = [
        _item("a", True, True, ["paraphrase"]),
        _item("b", True, False, ["paraphrase"], type_="temporal"),
        _item("c", False, False, ["partial"], protocol="longmemeval"),
        _item("d", False, True, ["partial"], protocol="longmemeval"),
        _item("e", False, False, ["partial"], protocol="longmemeval"),
        _item("f", True, None, ["paraphrase"]),
    ]
    report = agreement(items)
    overall = report.overall
    assert (
        overall.human_correct_judge_correct,
        overall.human_correct_judge_wrong,
        overall.human_wrong_judge_correct,
        overall.human_wrong_judge_wrong,
        overall.judge_errors,
    ) == (1, 1, 1, 2, 1)
    assert overall.n == 5
    assert overall.accuracy == pytest.approx(3 / 5)
    # po = 0.6, pe = (2*2 + 3*3) / 25 = 0.52, kappa = 0.08 / 0.48
    assert overall.kappa == pytest.approx(1 / 6)
    assert [i.id for i in report.disagreements] == ["b", "d"]
    assert [i.id for i in report.errors] == ["f"]
    assert report.per_tag["paraphrase"].n == 2 and report.per_tag["paraphrase"].judge_errors == 1
    assert report.per_tag["partial"].accuracy == pytest.approx(2 / 3)
    assert report.per_protocol["longmemeval"].n == 3
    assert set(report.per_type) == {"(none)", "temporal"}


def test_only_errors_gives_no_ratio():
    counts = AgreementCounts().add(True, None).add(False, None)
    assert (counts.n, counts.judge_errors, counts.accuracy, counts.kappa) == (0, 2, None, None)


def _write(tmp_path, lines, name="j.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def _line(id_, response, human, **extra):
    return {
        "id": id_,
        "question": "Where does Ana live?",
        "gold_answer": "Lille",
        "response": response,
        "human": human,
        "protocol": "locomo",
        **extra,
    }


def test_a_bad_file_names_every_problem_with_its_line(tmp_path):
    path = _write(
        tmp_path,
        [
            _line("j1", "Lille", "correct"),
            _line("j2", "Lyon", "maybe"),
            "[1, 2]",
            _line("j1", "Lille.", "correct"),
            "{not json",
            _line("j5", "Lille", "correct", protocol="mine"),
            {**_line("j6", "Lille", "correct"), "verdict": "x"},
        ],
    )
    with pytest.raises(DatasetError) as caught:
        load_judgements(path)
    problems = caught.value.problems
    assert len(problems) == 6
    assert problems[0].startswith(f"{path}:2: human:")
    assert problems[1] == f"{path}:3: expected a JSON object, got list"
    assert problems[2] == f"{path}:4: id: duplicate id 'j1' (first at line 1)"
    assert problems[3].startswith(f"{path}:5: invalid JSON")
    assert problems[4].startswith(f"{path}:6: protocol:")
    assert problems[5].startswith(f"{path}:7: verdict:")


def test_an_empty_or_missing_file_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="holds no judgements"):
        load_judgements(_write(tmp_path, ["// nothing yet"]))
    with pytest.raises(DatasetError, match="no such dataset file"):
        load_judgements(tmp_path / "absent.jsonl")


def _substring_judge(scripted):
    """A judge that says CORRECT when the response contains the reference, and garbles once."""

    def respond(request):
        text = request.messages[0]["content"]
        gold = text.split("Reference answer: ", 1)[1].split("\n", 1)[0]
        response = text.split("Answer to grade: ", 1)[1].split("\n", 1)[0]
        if response == "garble":
            return "no idea"
        verdict = "CORRECT" if gold.lower() in response.lower() else "WRONG"
        return json.dumps({"reason": "substring", "verdict": verdict})

    return scripted.respond_with(respond)


def test_the_command_reports_accuracy_kappa_and_confusion(tmp_path, scripted):
    path = _write(
        tmp_path,
        [
            _line("j1", "She lives in Lille.", "correct"),
            _line("j2", "Lille, in the north", "correct"),
            _line("j3", "The city of Lile", "correct"),
            _line("j4", "Lyon", "wrong"),
            _line("j5", "Lille or Lyon", "wrong"),
            _line("j6", "garble", "wrong"),
        ],
    )
    _substring_judge(scripted)
    args = ["agreement", str(path), "--judge-model", scripted.model, "--cache", "off"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    overall = report["overall"]
    # human/judge: j1 c/c, j2 c/c, j3 c/w, j4 w/w, j5 w/c, j6 judge error
    assert overall["confusion"] == {
        "human_correct": {"judge_correct": 2, "judge_wrong": 1},
        "human_wrong": {"judge_correct": 1, "judge_wrong": 1},
    }
    assert (overall["n"], overall["judge_errors"]) == (5, 1)
    assert overall["accuracy"] == pytest.approx(3 / 5)
    # po = 0.6, pe = (3*3 + 2*2) / 25 = 0.52
    assert overall["kappa"] == pytest.approx(1 / 6)
    assert [d["id"] for d in report["disagreements"]] == ["j3", "j5"]
    assert report["errors"][0]["error"].startswith("unparseable judge reply")
    # two requests for the garbled one (one repair turn), one for each of the others
    assert len(scripted.requests) == 7

    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "accuracy 0.600   Cohen's kappa 0.167" in text.output
    assert "1 judge errors, left out" in text.output
    assert "j3" in text.output and "j5" in text.output


def test_the_command_refuses_a_bad_file_before_any_call(tmp_path, scripted):
    path = _write(tmp_path, [_line("j1", "Lille", "yes")])
    result = runner.invoke(app, ["agreement", str(path), "-m", scripted.model])
    assert result.exit_code != 0
    assert isinstance(result.exception, DatasetError)
    assert scripted.requests == []


def test_the_shipped_judgements_cover_every_kind_with_both_verdicts():
    labelled = load_judgements(SHIPPED)
    assert len(labelled) >= 150
    by_protocol = Counter((j.protocol, j.human) for j in labelled)
    for protocol in ("locomo", "longmemeval"):
        assert by_protocol[(protocol, "correct")] >= 25
        assert by_protocol[(protocol, "wrong")] >= 25
    tags = Counter(tag for j in labelled for tag in j.tags)
    for kind in (
        "paraphrase",
        "partial",
        "date-off-by-one",
        "abstention",
        "wrong-but-related",
        "verbose-but-correct",
    ):
        assert tags[kind] >= 8, kind
    abstentions = [j for j in labelled if j.abstention]
    assert {j.human for j in abstentions} == {"correct", "wrong"}
    # off by one is forgiven only for counts under LongMemEval's temporal protocol
    off_by_one = [j for j in labelled if "date-off-by-one" in j.tags]
    assert {j.human for j in off_by_one if j.protocol == "locomo"} == {"wrong"}
    assert "correct" in {j.human for j in off_by_one if j.type == "temporal-reasoning"}


def test_datasets_validate_knows_a_judgement_file(tmp_path):
    from harness.cli.datasets import app as datasets_app
    from harness.data import detect_kind

    assert detect_kind(SHIPPED) == "judgements"
    result = runner.invoke(datasets_app, ["validate", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    expected = load_judgements(SHIPPED)
    assert result.output == (
        f"OK    {SHIPPED}: {len(expected)} judgements, sha256 {expected.content_hash}\n"
    )
    bad = _write(tmp_path, [_line("j1", "Lille", "perhaps")])
    result = runner.invoke(datasets_app, ["validate", str(bad)])
    assert result.exit_code == 1 and f"{bad}:1: human:" in result.output
