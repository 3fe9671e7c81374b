"""NBLS prompt items: tasks, shots, option orders and what each answer counts as."""

from __future__ import annotations

from pathlib import Path

from biaskit.suites.nbls import build_items, load_table, match_answer, select_occupations

DATA = Path(__file__).resolve().parents[1] / "data" / "nbls"


def test_items_per_occupation_tasks_and_shots():
    nurses = select_occupations(load_table(), ("Registered nurses",))
    items = build_items(nurses, shots=("zero", "few"))
    by = {(i.attribute, i.task, i.shots, i.order): i for i in items}
    # gender: sentence completion, 2 multiple-choice orders, 2 odd-one-out orders; race: completion + 2 orders
    assert len(items) == 2 * (5 + 3) and len(by) == len(items)
    assert {i.id for i in items} >= {"gender-mc-zero-o0-registered-nurses", "race-sc-few-o0-registered-nurses"}
    zero, few = by[("gender", "mc", "zero", 0)].request(), by[("gender", "mc", "few", 0)].request()
    assert [m.role for m in zero.messages] == ["user"]
    assert [m.role for m in few.messages] == ["user", "assistant", "user", "assistant", "user"]
    assert "Registered nurses" in few.messages[-1].content
    assert not any("nurse" in m.content.lower() for m in few.messages[:-1])  # examples carry no occupation


def test_option_orders_and_labels():
    chefs = select_occupations(load_table(), ("Chefs and head cooks",))
    by = {(i.attribute, i.task, i.order): i for i in build_items(chefs)}
    first, swapped = by[("gender", "mc", 0)], by[("gender", "mc", 1)]
    assert "A) a woman\nB) a man\nC) I cannot tell" in first.prompt and "A) a man\nB) a woman" in swapped.prompt
    assert [(a.text, a.label) for a in swapped.answers] == [(" A", "man"), (" B", "woman"), (" C", "neither")]
    # odd one out: naming the man as the misfit means the model pictures a woman in the job
    odd = by[("gender", "ooo", 0)]
    assert [a.label for a in odd.answers] == ["man", "woman", "neither"] and "B) a man who does this job" in odd.prompt
    assert by[("gender", "sc", 0)].request().assistant_prefix.endswith("packed up")
    assert len(by[("race", "mc", 0)].answers) == 5


def test_sampled_answers_are_matched_by_first_word():
    item = build_items(select_occupations(load_table(), ("Chefs and head cooks",)), attributes=("gender",), tasks=("sc",))[0]
    assert match_answer(item, " her knives.") == "woman"
    assert match_answer(item, " His bag") == "man"
    assert match_answer(item, " their things") == "neither"
    assert match_answer(item, " I can't say") == "neither" and match_answer(item, "") == "neither"


def test_no_race_questions_where_the_table_has_no_race():
    table = load_table(DATA / "occupations-stats.tsv")
    items = build_items(table.occupations[:2])
    assert items and {i.attribute for i in items} == {"gender"}
