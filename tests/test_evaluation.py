"""`gpbot eval`: the figures per mode, side by side, from a question file in the dev-questions format."""

import json

import pytest
from typer.testing import CliRunner

from bot.evaluation import url_key


def test_url_key_ignores_host_and_trailing_slash():
    assert url_key("https://nhsd-proxy.dokku3.ebmdatalab.net/services/nhs-app/x/") == url_key("https://digital.nhs.uk//services/nhs-app/x")
    assert url_key("https://a.org/p?id=1&b=2") != url_key("https://a.org/p?id=2&b=2")


def test_eval_scores_every_mode(index_settings, tmp_path, monkeypatch):
    from bot.cli import app

    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"id": "a", "question": "how do I stop a letter being visible when filing in docman?",
         "must_contain": ["Visible to patient"], "sources": ["https://docman.helpdocs.io/article/ajhp8wsz27-patient-visibility-settings-when-filing-no-review"]},
        {"id": "b", "question": "where do we keep the spare printer toner", "must_contain": [], "expect_refusal": True, "sources": []},
        {"id": "c", "question": "Mr Peter Placeholder NHS 999 186 0916 - how do we undo a 104 code?",
         "must_contain": ["106"], "expect_pii_warning": True, "must_not_contain": ["999 186 0916"], "sources": []},
    ]) + "\n")
    monkeypatch.setenv("GPBOT_DATA_DIR", str(index_settings.data_dir))
    monkeypatch.setenv("GPBOT_KNOWLEDGE_DIR", str(index_settings.knowledge_dir))
    result = CliRunner().invoke(app, ["eval", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert set(figures) == {"bm25", "dense", "hybrid"}
    hybrid = figures["hybrid"]
    assert hybrid["recall_at_5"] == 1.0 and hybrid["mrr"] == 1.0
    assert hybrid["must_contain"] == 1.0 and hybrid["decline_accuracy"] == 1.0 and hybrid["decline_recall"] == 1.0
    assert hybrid["pii_warned"] == "1/1" and hybrid["pii_false_alarms"] == 0 and hybrid["identifier_leaks"] == 0
    assert hybrid["latency_p95_ms"] >= hybrid["latency_p50_ms"] > 0
    assert hybrid["answers_saying_a_line_twice"] in ("0/2", "1/2")  # two answered: a and c
    assert hybrid["must_contain_in_opening"] in (0.0, 0.5, 1.0)


def test_an_answer_saying_a_line_again_in_full_is_counted_and_one_adding_to_it_is_not():
    from bot.evaluation import says_line_twice

    short = "The toolkit points patients who struggle online to the Online Centres Network. [1]"
    fuller = "The toolkit points patients who struggle online to the Online Centres Network, on 0114 349 1666. [2]"
    assert says_line_twice(f"{short} {fuller}") and says_line_twice(f"{fuller}\n\n- {short}")
    assert says_line_twice(f"{short}\n{short}")  # the same line twice
    other = "The national support line is open on weekdays from 9am. [2]"
    assert not says_line_twice(f"{short} {other}")
    assert not says_line_twice(f"{fuller} The toolkit points patients to the Online Centres Network, on 0800 1. [3]")
    assert not says_line_twice("Steps: [1]\n1. Open the settings. [1]\n2. Open the settings page. [1]")  # too short


def test_eval_rejects_a_bad_file(tmp_path, index_settings, monkeypatch):
    from bot.cli import app

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    monkeypatch.setenv("GPBOT_DATA_DIR", str(index_settings.data_dir))
    result = CliRunner().invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2 and "question" in result.output


def test_url_tail_is_the_last_path_segment():
    from bot.evaluation import url_tail

    assert url_tail("https://mirror.example.net/a/b/page-name/") == url_tail("https://www.example.org/x/page-name")
    assert url_tail("https://a.org/p?id=1#top") == "p"
    assert url_tail("https://a.org/one") != url_tail("https://a.org/two")


def _bank(tmp_path, items):
    path = tmp_path / "bank.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in items) + "\n")
    return path


def test_eval_reports_splits_categories_citations_and_declines(index_settings, tmp_path, monkeypatch):
    from bot.cli import app

    docman = "https://docman.helpdocs.io/article/ajhp8wsz27-patient-visibility-settings-when-filing-no-review"
    questions = _bank(tmp_path, [
        {"id": "a", "split": "dev", "category": "filing", "question": "which box stops a filed letter appearing online in docman?",
         "must_contain": ["Visible to patient"], "sources": [f"https://mirror.example.net/{docman.rsplit('/', 1)[-1]}/"]},
        {"id": "b", "split": "dev", "category": "filing", "question": "which box stops a filed letter appearing online in docman?",
         "must_contain": [], "sources": ["https://elsewhere.example/not-cited"]},
        {"id": "c", "split": "validation", "category": "off-topic", "question": "where is the key to the stationery cupboard",
         "must_contain": [], "sources": [], "expect_refusal": True},
        {"id": "d", "split": "validation", "category": "filing", "question": "and once it has already been filed?",
         "history": ["which box stops a filed letter appearing online in docman?"], "must_contain": [], "sources": []},
    ])
    monkeypatch.setenv("GPBOT_DATA_DIR", str(index_settings.data_dir))
    monkeypatch.setenv("GPBOT_KNOWLEDGE_DIR", str(index_settings.knowledge_dir))
    result = CliRunner().invoke(app, ["eval", str(questions), "--mode", "hybrid", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])["hybrid"]
    assert set(figures) == {"dev", "validation"}
    dev, validation = figures["dev"], figures["validation"]
    assert dev["questions"] == 2 and validation["questions"] == 2
    # the mirror URL matches by its last path segment; the other source is not cited
    assert dev["citation_precision"] == 0.5
    assert {f["id"]: f["problems"] for f in dev["failures"]} == {"b": ["cites none of its sources"]}
    assert validation["decline_recall"] == 1.0 and validation["decline_precision"] == 1.0
    assert validation["answerable_declined"] == 0  # the follow-up is answered from its thread
    assert set(validation["categories"]) == {"off-topic", "filing"}
    assert validation["categories"]["off-topic"]["refusals_declined"] == "1/1"

    table = CliRunner().invoke(app, ["eval", str(questions), "--mode", "hybrid", "--failures"])
    assert table.exit_code == 0
    assert "hybrid dev" in table.output and "hybrid validation" in table.output
    assert "hybrid dev b [filing] (answered): cites none of its sources" in table.output


def test_eval_rejects_a_history_that_is_not_a_list(tmp_path, index_settings, monkeypatch):
    from bot.cli import app

    bad = _bank(tmp_path, [{"id": "x", "question": "and then?", "history": "not a list"}])
    monkeypatch.setenv("GPBOT_DATA_DIR", str(index_settings.data_dir))
    result = CliRunner().invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2 and "history" in result.output


def test_ask_jsonl_answers_a_follow_up_from_its_history(index_settings, monkeypatch):
    from bot.cli import app

    monkeypatch.setenv("GPBOT_DATA_DIR", str(index_settings.data_dir))
    monkeypatch.setenv("GPBOT_KNOWLEDGE_DIR", str(index_settings.knowledge_dir))
    first = "which box stops a filed letter appearing online in docman?"
    lines = [{"id": "alone", "question": "and once it has already been filed?"},
             {"id": "thread", "question": "and once it has already been filed?", "history": [first]},
             {"id": "bad", "question": "x", "history": [3]}]
    result = CliRunner().invoke(app, ["ask", "--jsonl"], input="\n".join(json.dumps(x) for x in lines) + "\n")
    answers = {a["id"]: a for a in map(json.loads, [l for l in result.stdout.splitlines() if l.startswith("{")])}
    assert answers["thread"]["kind"] == "answered"
    assert answers["thread"]["text"] != answers["alone"]["text"]
    assert "history" in answers[None]["error"]
    assert result.exit_code == 1  # one line skipped


def test_eval_and_ask_read_a_question_line_alike(tmp_path):
    """One reader of question lines: `gpbot eval` (load_questions) and `gpbot ask --jsonl` (parse_question_line)
    accept and refuse the same lines; "history": null is no history for both."""
    from bot.evaluation import load_questions, parse_question_line

    assert parse_question_line('{"question": "q", "history": null}') == ({"question": "q", "history": None}, [])
    assert parse_question_line('{"question": "q", "history": ["a"]}')[1] == ["a"]
    for line, word in [('{"id": 1}', "question"), ('{"question": "q", "history": [3]}', "history"),
                       ('{"question": "q", "history": "a"}', "history"),
                       ('{"question": "q", "history": ""}', "history"), ("not json", "JSON"), ("[1]", "question")]:
        with pytest.raises(ValueError, match=word):
            parse_question_line(line)
        path = tmp_path / "one.jsonl"
        path.write_text('{"question": "fine"}\n' + line + "\n")
        with pytest.raises(ValueError, match=rf"one\.jsonl:2: .*{word}"):
            load_questions(path)
    path.write_text('{"question": "q", "history": null}\n')
    assert load_questions(path) == [{"question": "q", "history": None}]
