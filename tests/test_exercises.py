"""Every exercise of every notebook: the right answer passes (and is put to work), each usual
mistake is rejected with its own diagnosis, an unanswered one says so, and nothing raises."""

import importlib
import pkgutil

import pytest
import torch

import lecturelib.exercises as package
from lecturelib.exercises import Build, Exercise, Question, check, numeric_verdict

MODULES = [importlib.import_module(f"lecturelib.exercises.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
EXERCISES = [(module.__name__.rsplit(".", 1)[1], name, obj) for module in MODULES
             for name, obj in vars(module).items() if isinstance(obj, (Exercise, Build, Question))]


def test_there_are_exercises_for_the_notebooks():
    assert {module for module, _, _ in EXERCISES} >= {"getting_started", "unsupervised"}


@pytest.mark.parametrize("exercise", [e for _, _, e in EXERCISES], ids=[f"{m}.{n}" for m, n, _ in EXERCISES])
def test_right_answer_passes_and_every_usual_mistake_is_named(exercise):
    right, wrong = exercise.examples()
    verdict = exercise.verdict(right)
    assert verdict.passed, verdict.message
    assert "Putting it to work failed" not in verdict.message
    assert len(wrong) >= 2, "name at least two usual mistakes"
    for diagnosis, answer in wrong.items():
        verdict = exercise.verdict(answer, use=False) if not isinstance(exercise, Question) else exercise.verdict(answer)
        assert verdict.status == "wrong", (diagnosis, verdict.message)
        assert diagnosis[:40] in verdict.message, (diagnosis, verdict.message)
    assert exercise.verdict(None).status == "unanswered"


@pytest.mark.parametrize("exercise", [e for _, _, e in EXERCISES if not isinstance(e, Question)],
                         ids=[f"{m}.{n}" for m, n, e in EXERCISES if not isinstance(e, Question)])
def test_a_stub_a_crash_and_a_wrong_type_are_reported_not_raised(exercise):
    def stub(*args):
        return None  # the student's function before any work

    def crash(*args):
        raise ValueError("boom")

    assert exercise.verdict(stub).status == "unanswered"
    verdict = exercise.verdict(crash)
    assert verdict.status == "wrong" and "ValueError: boom" in verdict.message
    assert exercise.verdict(42).status == "wrong"


def test_require_raises_only_for_a_failing_solution(capsys):
    exercise = next(e for _, _, e in EXERCISES if isinstance(e, Exercise))
    right, wrong = exercise.examples()
    exercise(right, require=True)
    with pytest.raises(AssertionError, match="does not pass"):
        exercise(next(iter(wrong.values())), require=True)
    assert "[ok]" in capsys.readouterr().out


def test_numeric_checks_compare_with_a_tolerance_and_name_mistakes(capsys):
    check("a", 1.00001, 1.0, rtol=1e-4)
    check("b", None, 1.0, hint="think")
    check("d", torch.zeros(2), torch.zeros(3))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[ok]") and out[1].startswith("[ ]") and "shape" in out[2]
    verdict = numeric_verdict("e", 2.0, 1.0, mistakes={"doubled": 2.0})
    assert verdict.status == "wrong" and "doubled" in verdict.message


def test_every_topic_notebook_has_three_build_it_exercises():
    built = {}
    for module, _, exercise in EXERCISES:
        if isinstance(exercise, (Exercise, Build)):
            built[module] = built.get(module, 0) + 1
    for module in ("unsupervised", "autoencoders", "pixel_models", "vae", "gans"):
        assert built.get(module, 0) >= 3, f"{module}: {built.get(module, 0)} build-it exercises"
