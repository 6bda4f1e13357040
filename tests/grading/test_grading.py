"""Autograding with nbgrader (grading/): fake classes graded as expected.

`make test-grading` (CI): the course built for every notebook (the student version nbgrader writes,
checked against the instructor edition), then notebook 00 graded for seven students: all right,
the usual mistakes, nothing answered, a cheat (prints `[ok]` and replaces the checks), a crash
(the kernel dies), an endless loop (interrupted at the cell time limit), one that ignores the
interrupt (nbgrader stops the notebook), one who hands nothing in, and a slow one stopped at the
notebook time limit (kernel and all).
`make test-grading-all`: every notebook graded for two students (all right; the usual mistakes).
Needs the grading extra: `pip install -e ".[grading]"`.
"""

from __future__ import annotations

import ast
import csv
import importlib
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "grading"))
import build  # noqa: E402  (grading/build.py)
import grade  # noqa: E402

ALL = os.environ.get("GENMODELS_GRADING_ALL") == "1"  # make test-grading-all: every notebook
GRADED = [p for p in build.NOTEBOOKS if ALL or p.stem == "00_getting_started"]
# make grade's limits for every notebook; for 00, a cell limit that a loop soon reaches (00's
# longest cell takes about 3 s idle) and a notebook limit well above a busy machine's 35 s
CELL_TIMEOUT, NOTEBOOK_TIMEOUT = (300, 1200) if ALL else (30, 300)
SHORT_LIMIT = 20  # seconds: the notebook limit the slow student is graded with


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def code(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """The course directory for every notebook (generate_assignment of all eight: about 30 s)."""
    course = tmp_path_factory.mktemp("grading") / "course"
    build.build(course, build.NOTEBOOKS)
    return course


# ---------------------------------------------------------------------------------------------
# the course directory: items, points, the student version nbgrader writes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("notebook", build.NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_and_assignment_is_a_graded_item_with_its_points(notebook):
    cells = read(notebook)["cells"]
    found = build.items(read(notebook))
    stubs = [i for i, c in enumerate(cells[:-1]) if c["cell_type"] == "code" and "solution" in build.tags(cells[i + 1])
             and "solution" not in build.tags(c) and build.check_call(code(c), build.check_modules(cells))]
    assert [item.stub for item in found] == stubs and len(found) >= 3
    for item in found:
        check = getattr(importlib.import_module(item.module), item.grade_id)
        assert callable(check)
        assert item.points == (3 if item.module.endswith("_model") else 1)
    assignments = [item for item in found if item.kind == "assignment"]
    assert len(assignments) == (1 if notebook.stem[:2] in {"02", "03", "04", "05", "06", "07"} else 0)


@pytest.mark.parametrize("notebook", build.NOTEBOOKS, ids=lambda p: p.stem)
def test_the_student_version_is_the_instructor_edition_without_solutions_notes_or_tests(course, notebook):
    """nbgrader's release/ holds the cells `make student` keeps (neither `solution` nor `notes`),
    in order, without outputs, with no hidden test and no solution line left in it."""
    instructor = read(notebook)["cells"]
    released = read(course / "release" / notebook.stem / notebook.name)
    kept = [c for c in instructor if not {"solution", "notes"} & set(build.tags(c))]
    assert [code(c) for c in released["cells"]] == [code(c) for c in kept]
    assert all(not c.get("outputs") for c in released["cells"] if c["cell_type"] == "code")
    text = json.dumps(released)
    assert "HIDDEN TESTS" not in text and "_instructor_check" not in text and "widgets" not in released["metadata"]
    shared = {line.strip() for c in kept for line in code(c).splitlines()}
    for cell in instructor:
        if "solution" in build.tags(cell):
            for line in (line.strip() for line in code(cell).splitlines()):
                if len(line) > 25 and not line.startswith("#") and line not in shared:
                    assert json.dumps(line)[1:-1] not in text, line
    graded = {c["metadata"]["nbgrader"]["grade_id"] for c in released["cells"] if "nbgrader" in c["metadata"]}
    assert graded == {f"{item.grade_id}-answer" for item in build.items(read(notebook))}


def test_the_source_version_holds_one_hidden_test_per_item_after_the_solution(course):
    for notebook in build.NOTEBOOKS:
        cells = read(course / "source" / notebook.stem / notebook.name)["cells"]
        tests = [i for i, c in enumerate(cells) if c["metadata"].get("nbgrader", {}).get("grade")]
        assert len(tests) == len(build.items(read(notebook)))
        for index in tests:
            assert "solution" in build.tags(cells[index - 1]) and "### BEGIN HIDDEN TESTS" in code(cells[index])
            ast.parse(code(cells[index]))


# ---------------------------------------------------------------------------------------------
# fake submissions, written from nbgrader's student version as a student would
# ---------------------------------------------------------------------------------------------


def answer_name(text: str, module_aliases: dict[str, str]) -> tuple[str, ast.stmt]:
    statement, call = build.check_call(text, module_aliases)
    return ast.get_source_segment(text, call.args[0]), statement


def right_answer(instructor: list[dict], item: build.Item, aliases: dict[str, str]) -> str:
    """The instructor's solution where the student writes, ending with the stub's own check call
    (the solution's own call, with require=True, becomes the answer bound to the stub's name)."""
    stub, solution = code(instructor[item.stub]), code(instructor[item.solution])
    name, stub_statement = answer_name(stub, aliases)
    value, solution_statement = answer_name(solution, aliases)
    body = solution.replace(ast.get_source_segment(solution, solution_statement),
                            "" if value == name else f"{name} = {value}")
    imports = [ast.get_source_segment(stub, node) for node in ast.parse(stub).body
               if isinstance(node, (ast.Import, ast.ImportFrom))]  # the stub's own, e.g. `import math`
    return "\n".join([*imports, body.rstrip(), "", ast.get_source_segment(stub, stub_statement)]) + "\n"


def usual_mistake(instructor: list[dict], item: build.Item, aliases: dict[str, str]) -> tuple[str, str | None]:
    """The stub with its answer replaced by the check's first listed mistake, and that diagnosis
    (None, and the stub as it is, when the check lists none: a blank)."""
    stub = code(instructor[item.stub])
    check = getattr(importlib.import_module(item.module), item.grade_id)
    if not hasattr(check, "examples"):
        return stub, None
    diagnosis = next(iter(check.examples()[1]))
    name, statement = answer_name(stub, aliases)
    line = ast.get_source_segment(stub, statement)
    chosen = (f"from {item.module} import {item.grade_id} as _check\n"
              f"{name} = _check.examples()[1][{diagnosis!r}]  # a usual mistake\n")
    return stub.replace(line, chosen + line), diagnosis


def submission(course: Path, notebook: Path, answers: dict[str, str]) -> dict:
    """nbgrader's student version with these stub cells (grade_id -> source) answered."""
    released = read(course / "release" / notebook.stem / notebook.name)
    for cell in released["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "").removesuffix("-answer")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    return released


def hand_in(folder: Path, student: str, notebook: Path, content: dict) -> None:
    (folder / student).mkdir(parents=True, exist_ok=True)
    (folder / student / notebook.name).write_text(json.dumps(content))


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory) -> tuple[dict, dict]:
    """Grade the class once; returns {(student, notebook, exercise): row} and the expected diagnoses."""
    folder = tmp_path_factory.mktemp("submissions")
    diagnoses = {}
    for notebook in GRADED:
        instructor = read(notebook)["cells"]
        aliases = build.check_modules(instructor)
        found = build.items(read(notebook))
        hand_in(folder, "right", notebook, submission(course, notebook, {
            i.grade_id: right_answer(instructor, i, aliases) for i in found}))
        wrong = {}
        for item in found:
            wrong[item.grade_id], diagnoses[notebook.stem, item.grade_id] = usual_mistake(instructor, item, aliases)
        hand_in(folder, "mistakes", notebook, submission(course, notebook, wrong))
    if not ALL:
        zero = build.NOTEBOOKS[0]
        first, *rest = build.items(read(zero))
        hand_in(folder, "blank", zero, submission(course, zero, {}))
        fake = (f"{code(read(zero)['cells'][first.stub])}\n"
                "print('[ok] Exercise 00.1 · bits per dimension: correct on 3 fresh cases.')\n"
                "from lecturelib.exercises import getting_started\n"
                "getting_started.bits_per_dim = exercises.bits_per_dim = lambda *a, **k: print('[ok]')\n")
        hand_in(folder, "cheat", zero, submission(course, zero, {first.grade_id: fake}))
        hand_in(folder, "crash", zero, submission(course, zero, {rest[0].grade_id: "import os\nos._exit(1)\n"}))
        hand_in(folder, "loop", zero, submission(course, zero, {first.grade_id: "while True:\n    pass\n"}))
        stubborn = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
        hand_in(folder, "stubborn", zero, submission(course, zero, {first.grade_id: stubborn}))
        (folder / "absent").mkdir()
    out = tmp_path_factory.mktemp("out") / "grades.csv"
    grade.grade(folder, course, out, CELL_TIMEOUT, NOTEBOOK_TIMEOUT, [p.stem for p in GRADED])
    rows = read_rows(out)
    assert (out.parent / "summary.txt").read_text().startswith("Per student")
    if not ALL:  # a notebook past the notebook limit (here a short one) is stopped, its kernel too
        slow = tmp_path_factory.mktemp("slow")
        hand_in(slow, "slow", zero, submission(course, zero, {first.grade_id: "import time\ntime.sleep(120)\n"}))
        grade.grade(slow, course, slow / "grades.csv", CELL_TIMEOUT, SHORT_LIMIT, [zero.stem])
        rows.update(read_rows(slow / "grades.csv"))
    return rows, diagnoses


def read_rows(path: Path) -> dict:
    with path.open() as handle:
        return {(r["student"], r["notebook"], r["exercise"]): r for r in csv.DictReader(handle)}


def rows_of(rows: dict, student: str, notebook: str | None = None) -> list[dict]:
    return [r for (s, nb, _), r in rows.items() if s == student and (notebook is None or nb == notebook)]


@pytest.mark.parametrize("notebook", GRADED, ids=lambda p: p.stem)
def test_the_solutions_earn_every_point(graded, notebook):
    rows, _ = graded
    own = rows_of(rows, "right", notebook.stem)
    assert len(own) == len(build.items(read(notebook)))
    for row in own:
        assert row["result"] == "pass" and row["status"] == "ok", row
        assert float(row["points"]) == float(row["max_points"]) > 0 and row["message"].startswith("[ok]"), row


@pytest.mark.parametrize("notebook", GRADED, ids=lambda p: p.stem)
def test_the_usual_mistakes_earn_nothing_and_are_named(graded, notebook):
    rows, diagnoses = graded
    for row in rows_of(rows, "mistakes", notebook.stem):
        diagnosis = diagnoses[notebook.stem, row["exercise"]]
        assert row["result"] == "fail" and float(row["points"]) == 0, row
        if diagnosis is None:  # a check with no listed mistake: left blank
            assert row["status"] == "unanswered" and "not answered yet" in row["message"], row
        else:
            assert row["status"] == "wrong" and diagnosis[:40] in row["message"], (diagnosis, row)


needs_00 = pytest.mark.skipif(ALL, reason="the cases beyond right and wrong are graded on notebook 00 (make test-grading)")


@needs_00
def test_a_blank_notebook_is_unanswered_everywhere(graded):
    own = rows_of(graded[0], "blank")
    assert own and all(r["status"] == "unanswered" and float(r["points"]) == 0 for r in own)


@needs_00
def test_printing_ok_or_replacing_the_check_earns_nothing(graded):
    own = {r["exercise"]: r for r in rows_of(graded[0], "cheat")}
    assert own["bits_per_dim"]["status"] == "unanswered" and float(own["bits_per_dim"]["points"]) == 0
    assert all(r["status"] == "unanswered" for r in own.values())


@needs_00
def test_a_crash_a_loop_and_a_missing_notebook_each_get_a_clear_row(graded):
    rows = graded[0]
    crash = rows_of(rows, "crash")
    assert crash and all(r["status"] == "error" and "kernel died" in r["message"] for r in crash), crash
    loop = {r["exercise"]: r for r in rows_of(rows, "loop")}
    assert loop["bits_per_dim"]["status"] == "timed out"
    assert loop["bits_per_dim"]["message"] == f"timed out after {CELL_TIMEOUT} s (the cell was interrupted)"
    assert loop["pixel_probabilities"]["status"] == "unanswered"  # the notebook went on
    stubborn = rows_of(rows, "stubborn")
    assert stubborn and all(r["status"] == "timed out" and "did not stop when interrupted" in r["message"]
                            for r in stubborn), stubborn
    slow = rows_of(rows, "slow")
    assert slow and all(r["status"] == "timed out" and r["message"].startswith(f"timed out after {SHORT_LIMIT} s")
                        for r in slow), slow
    import psutil
    left = [p.info for p in psutil.process_iter(["pid", "cmdline"]) if "ipykernel" in " ".join(p.info["cmdline"] or [])
            and "slow" in (safe_cwd(p) or "")]
    assert not left, f"a kernel was left running: {left}"
    absent = rows_of(rows, "absent")
    assert absent and all(r["status"] == "missing" and float(r["points"]) == 0 for r in absent)
    assert all(float(r["points"]) == 0 for s in ("crash", "loop", "stubborn", "slow") for r in rows_of(rows, s))


def safe_cwd(process) -> str | None:
    try:
        return process.cwd()
    except Exception:  # gone, or not ours to read
        return None
