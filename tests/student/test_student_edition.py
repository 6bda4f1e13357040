"""The student edition (`make student`, in build/student/): no solutions, no outputs, and every
cell still runs without them. Runs after `make student` (make test-student)."""

import ast
import builtins
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STUDENT = ROOT / "build" / "student"


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def is_solution(cell: dict) -> bool:
    return "solution" in cell.get("metadata", {}).get("tags", [])


def is_speaker_note(cell: dict) -> bool:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes"


def bound_and_loaded(source: str) -> tuple[set[str], set[str]]:
    """Names a cell binds at top level (assignments, defs, imports, loops) and names it reads."""
    tree = ast.parse(source)
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, loaded


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_cell_of_the_student_edition_needs_a_solution_cell(notebook):
    solution_names, other_names = set(), set(dir(builtins))
    code = [c for c in cells(notebook) if c["cell_type"] == "code"]
    for cell in code:
        bound, _ = bound_and_loaded("".join(cell["source"]))
        (solution_names if is_solution(cell) else other_names).update(bound)
    only_in_solutions = solution_names - other_names
    for index, cell in enumerate(code):
        if not is_solution(cell):
            _, loaded = bound_and_loaded("".join(cell["source"]))
            assert not loaded & only_in_solutions, (
                f"code cell {index} uses {sorted(loaded & only_in_solutions)}, defined only in solution cells")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_student_edition_has_no_solution_and_no_output(notebook):
    student = STUDENT / notebook.name
    assert student.is_file(), f"{student} is missing: run `make student`"
    kept = cells(student)
    assert not any(is_solution(c) for c in kept)
    assert all(not c.get("outputs") and not c.get("execution_count") for c in kept if c["cell_type"] == "code")
    assert "widgets" not in json.loads(student.read_text())["metadata"]
    text = json.dumps(kept)
    solutions = [c for c in cells(notebook) if is_solution(c)]
    shared = {line.strip() for c in cells(notebook) if not is_solution(c) for line in "".join(c["source"]).splitlines()}
    for cell in solutions:  # every substantial line of every solution is gone (but a stub's `def` line)
        for line in "".join(cell["source"]).splitlines():
            line = line.strip()
            if len(line) > 25 and not line.startswith("#") and line not in shared:
                assert json.dumps(line)[1:-1] not in text, f"solution text left in {student.name}: {line}"
    notes = [c for c in cells(notebook) if is_speaker_note(c) and not is_solution(c)]
    assert len(kept) == len(cells(notebook)) - len(solutions) - len(notes)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_speaker_notes_are_instructor_material_and_gone_from_the_student_edition(notebook):
    """Speaker notes state answers ("only the way back is learned"): each carries the tag `notes`,
    which `make student` removes, and none is left in the student edition."""
    untagged = [i for i, c in enumerate(cells(notebook))
                if is_speaker_note(c) and "notes" not in c.get("metadata", {}).get("tags", [])]
    assert not untagged, f"speaker-note cells {untagged} lack the tag `notes` (tag them, or `make student` keeps them)"
    assert not any(is_speaker_note(c) for c in cells(STUDENT / notebook.name))


def test_no_conceptual_answer_is_spelled_out_in_the_student_edition():
    """The explanation each conceptual question gives with a right answer appears in no student notebook."""
    import importlib
    import pkgutil

    import lecturelib.exercises as package
    from lecturelib.exercises import Question

    modules = [importlib.import_module(f"lecturelib.exercises.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    explanations = [q.why for module in modules for q in vars(module).values() if isinstance(q, Question) and q.why]
    assert explanations, "no conceptual question found"
    text = " ".join(" ".join("".join(c["source"]).split()) for path in sorted(STUDENT.glob("*.ipynb")) for c in cells(path))
    for why in explanations:
        for sentence in (s.strip() for s in why.split(".")):
            assert len(sentence) < 30 or sentence not in text, f"a conceptual answer is spelled out: {sentence!r}"


CHEAP = {"00_getting_started", "02_autoencoders"}  # run by `make test`: one without an assignment, one with
RUN_ALL = os.environ.get("GENMODELS_STUDENT_RUN_ALL") == "1"  # make test-student-all: every notebook


@pytest.mark.parametrize("notebook", [p for p in NOTEBOOKS if RUN_ALL or p.stem in CHEAP], ids=lambda p: p.stem)
def test_the_student_notebook_runs_top_to_bottom_with_nothing_answered(notebook, tmp_path):
    """A student opens the notebook and runs it all before answering anything: every cell runs,
    every exercise and assignment says it is not answered, none passes."""
    import nbformat
    from nbclient import NotebookClient

    student = nbformat.read(STUDENT / notebook.name, as_version=4)
    NotebookClient(student, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}},
                   ).execute(env={**os.environ, "GENMODELS_PROFILE": "quick"})
    printed = "".join(o.get("text", "") for c in student.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "not answered yet" in printed and "[ok]" not in printed
