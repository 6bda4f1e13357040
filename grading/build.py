"""nbgrader's course directory from the instructor notebooks, derived by script, never by hand.

    python grading/build.py [--course build/grading] [notebooks/NN_name.ipynb ...]

Each notebook becomes one nbgrader assignment of one notebook (`00_getting_started`, ...), so a
notebook that loops or crashes costs only its own grade. In notebooks/, an exercise is a stub
cell that calls a check (`exercises.e_step(my_e_step)`, `assignment.vae_model(MyVAE)`) followed by
a cell tagged `solution`. In source/ the stub becomes an nbgrader solution cell (the student's,
kept as it is), and after the instructor's solution comes an autograder cell, all of it a hidden
test: it imports the instructor's lecturelib afresh and asks the check for its verdict on the
student's answer (the stub's own call, arguments and all), so an `[ok]` the student printed or a
check the student edited earns nothing. `nbgrader generate_assignment` writes release/: the cells
tagged `solution` and `notes` removed by nbconvert's TagRemovePreprocessor, as `make student`
does, and the hidden-test cells removed whole (nbgrader puts them back when it autogrades, after
the student's stub: OverwriteCells.add_missing_cells).

Points (POINTS): 1 per exercise or conceptual question, 3 per assignment (a whole model, trained
and judged); all or nothing, as the check's verdict is.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
COURSE = ROOT / "build" / "grading"
NBGRADER = Path(sys.executable).with_name("nbgrader")
POINTS = {"exercise": 1, "assignment": 3}
STAMP = "built-from.json"  # in the course directory: the sha256 of each notebook it was built from

# The hidden test around one check call; the whole cell is hidden from students.
HIDDEN_TEST = '''### BEGIN HIDDEN TESTS
# Autograded by nbgrader in the instructor's environment: the instructor's own lecturelib, imported
# afresh, judges the answer again; what the cells above printed or changed counts for nothing.
import contextlib as _contextlib, importlib as _importlib, io as _io, sys as _sys


def _instructor_check(module, name):
    for _loaded in [m for m in _sys.modules if m.startswith("lecturelib.exercises")]:
        del _sys.modules[_loaded]
    return getattr(_importlib.import_module(module), name)


def _judge(check, *args, **context):
    if hasattr(check, "verdict"):
        status, message = check.verdict(*args, **context)
    else:  # a check that only prints its verdict
        with _contextlib.redirect_stdout(_io.StringIO()) as printed:
            check(*args, **context)
        message = printed.getvalue().strip()
        status = {"[ok]": "ok", "[ ]": "unanswered"}.get(message.split(" Exercise")[0], "wrong")
    print(message)
    assert status == "ok", message


{call}
### END HIDDEN TESTS'''


@dataclass(frozen=True)
class Item:
    """One graded item of a notebook: the stub cell the student answers in and its check."""

    grade_id: str  # the check's name in its module, e.g. "e_step"
    kind: str  # "exercise" or "assignment"
    module: str  # e.g. "lecturelib.exercises.unsupervised"
    stub: int  # index of the stub cell
    solution: int  # index of the instructor's solution cell (the one after the stub)
    hidden_call: str  # the stub's statement with the check call replaced by _judge(...)

    @property
    def points(self) -> int:
        return POINTS[self.kind]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def check_modules(cells: list[dict]) -> dict[str, str]:
    """alias -> module, from the notebook's `from lecturelib.exercises import x as alias` lines."""
    aliases = {}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse(source(cell))):
            if isinstance(node, ast.ImportFrom) and node.module == "lecturelib.exercises":
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"lecturelib.exercises.{alias.name}"
    return aliases


def check_call(text: str, aliases: dict[str, str]) -> tuple[ast.stmt, ast.Call] | None:
    """The top-level statement of a cell that calls a check, and that call."""
    for statement in ast.parse(text).body:
        for node in ast.walk(statement):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in aliases):
                return statement, node
    return None


def items(notebook: dict) -> list[Item]:
    """Every exercise and assignment: a stub cell calling a check, then a cell tagged solution."""
    cells = notebook["cells"]
    aliases = check_modules(cells)
    found = []
    for index, cell in enumerate(cells[:-1]):
        if cell["cell_type"] != "code" or "solution" in tags(cell) or "solution" not in tags(cells[index + 1]):
            continue
        text = source(cell)
        called = check_call(text, aliases)
        if called is None:
            continue
        statement, call = called
        if any(keyword.arg == "require" for keyword in call.keywords):
            raise ValueError(f"cell {index}: a stub's check call should not say require=")
        module = aliases[call.func.value.id]
        arguments = ", ".join(ast.get_source_segment(text, node) for node in [*call.args, *call.keywords])
        judged = f"_judge(_instructor_check({module!r}, {call.func.attr!r}), {arguments})"
        statement_text = ast.get_source_segment(text, statement)
        hidden_call = statement_text.replace(ast.get_source_segment(text, call), judged)
        kind = "assignment" if module.endswith("_model") else "exercise"
        found.append(Item(call.func.attr, kind, module, index, index + 1, hidden_call))
    ids = [item.grade_id for item in found]
    if len(set(ids)) != len(ids):
        raise ValueError(f"two exercises check with the same function: {ids}")
    return found


def nbgrader_metadata(grade_id: str, *, solution: bool, points: int | None = None) -> dict:
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": not solution,
            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def source_notebook(notebook: dict) -> tuple[dict, list[Item]]:
    """The nbgrader source version: stubs marked as the student's cells, a hidden test after each
    solution, outputs and widget state dropped (release/ never had them)."""
    found = items(notebook)
    after_solution = {item.solution: item for item in found}
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        cell = json.loads(json.dumps(cell))
        cell["metadata"].pop("execution", None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        stub = next((item for item in found if item.stub == index), None)
        if stub is not None:
            cell["metadata"]["nbgrader"] = nbgrader_metadata(f"{stub.grade_id}-answer", solution=True)
        cells.append(cell)
        if index in after_solution:
            item = after_solution[index]
            cells.append({"cell_type": "code", "execution_count": None, "id": f"grade-{item.grade_id}",
                          "metadata": {"deletable": False, "editable": False,
                                       "slideshow": {"slide_type": "skip"},
                                       "nbgrader": nbgrader_metadata(item.grade_id, solution=False,
                                                                     points=item.points)},
                          "outputs": [], "source": HIDDEN_TEST.replace("{call}", item.hidden_call)})
    metadata = {key: notebook["metadata"][key] for key in ("kernelspec", "language_info") if key in notebook["metadata"]}
    return {**notebook, "cells": cells, "metadata": metadata}, found


def fingerprints(notebooks: list[Path]) -> dict[str, str]:
    """notebook -> sha256 of what the course is made from: its cells and tags, and this script."""
    tools = Path(__file__).read_bytes() + Path(__file__).with_name("nbgrader_preprocessors.py").read_bytes()
    found = {}
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        made_of = json.dumps([(c["cell_type"], source(c), tags(c)) for c in cells]).encode()
        found[path.stem] = hashlib.sha256(tools + made_of).hexdigest()
    return found


CONFIG = '''# Written by grading/build.py; rebuilt when the notebooks change (make grade does it).
import sys
sys.path.insert(0, {grading!r})
from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput,
                                    ComputeChecksums, IncludeHeaderFooter, InstantiateTests, LockCells,
                                    SaveCells)
from nbgrader_preprocessors import RemoveHiddenTestCells

c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "genmodels"
# The student version: nbgrader's own steps, with the instructor edition's solution cells and
# speaker notes removed as `make student` removes them (nbconvert's TagRemovePreprocessor) in
# place of ClearSolutions (which would blank the student's stub cells), and the hidden-test cells
# removed whole once their tests are cleared and saved in the gradebook.
c.GenerateAssignment.preprocessors = [
    TagRemovePreprocessor, IncludeHeaderFooter, InstantiateTests, LockCells, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, RemoveHiddenTestCells,
    ClearMarkScheme, ComputeChecksums, CheckCellMetadata]
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = ["solution", "notes"]
# Autograding: the hidden tests come back after each stub; a cell that runs longer than this is
# interrupted and the notebook goes on (grading/grade.py also limits the whole notebook).
c.OverwriteCells.add_missing_cells = True
c.OverwriteCells.missing_cell_notification = "Hidden test, added back by nbgrader for grading.\\n\\n"
c.Execute.timeout = 300  # grading/grade.py passes its --cell-timeout
c.Execute.interrupt_on_timeout = True
'''


def environment() -> dict[str, str]:
    """nbgrader runs `alembic` and the kernel by name: the venv's bin/ first on PATH; notebooks
    are graded in the quick profile, as students run them."""
    return {**os.environ, "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "GENMODELS_PROFILE": "quick"}


def nbgrader(course: Path, *args: str) -> None:
    subprocess.run([str(NBGRADER), *args, "--log-level=WARN"], cwd=course, check=True, env=environment())


def build(course: Path = COURSE, notebooks: list[Path] = NOTEBOOKS) -> dict[str, list[Item]]:
    """Write the course directory afresh: source/, release/ (nbgrader's student version), the
    gradebook, nbgrader_config.py. Returns each assignment's graded items."""
    if course.exists():
        shutil.rmtree(course)
    (course / "source").mkdir(parents=True)
    graded = {}
    for path in notebooks:
        notebook, found = source_notebook(json.loads(path.read_text()))
        (course / "source" / path.stem).mkdir()
        (course / "source" / path.stem / path.name).write_text(json.dumps(notebook, indent=1) + "\n")
        graded[path.stem] = found
    (course / "nbgrader_config.py").write_text(CONFIG.format(
        grading=str(Path(__file__).resolve().parent), root=str(course.resolve())))
    for name in graded:
        nbgrader(course, "generate_assignment", name, "--force")
    (course / "items.json").write_text(json.dumps(
        {name: [{"grade_id": i.grade_id, "kind": i.kind, "points": i.points, "module": i.module} for i in found]
         for name, found in graded.items()}, indent=1) + "\n")
    (course / STAMP).write_text(json.dumps(fingerprints(notebooks), indent=1) + "\n")
    return graded


def up_to_date(course: Path, notebooks: list[Path]) -> bool:
    """Whether the course was built from these notebooks as they are now (and by this script)."""
    stamp = course / STAMP
    built = json.loads(stamp.read_text()) if stamp.is_file() else {}
    return all(built.get(name) == value for name, value in fingerprints(notebooks).items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    parser.add_argument("--course", type=Path, default=COURSE)
    args = parser.parse_args(argv)
    graded = build(args.course, [p.resolve() for p in args.notebooks] or NOTEBOOKS)
    for name, found in graded.items():
        print(f"{name}: {len(found)} items, {sum(i.points for i in found)} points "
              f"({', '.join(f'{i.grade_id} {i.points}' for i in found)})")
    print(f"nbgrader course directory: {args.course}")


if __name__ == "__main__":
    main()
