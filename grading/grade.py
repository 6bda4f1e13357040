"""Autograde a class with nbgrader: one CSV row per student x exercise, and a summary.

    python grading/grade.py SUBMISSIONS [--course build/grading] [--out build/grading/grades.csv]
    make grade SUBMISSIONS=dir

SUBMISSIONS holds one folder per student, named by the student's id, with the notebooks they
hand in under their own names: SUBMISSIONS/<student>/<NN_name>.ipynb (e.g. alice/03_pixelrnn_pixelcnn.ipynb;
a notebook not handed in is graded "missing"). Each is copied into nbgrader's submitted/ and
autograded on its own (`nbgrader autograde NN_name --student <student>`): the hidden tests of
grading/build.py re-run every answer against this environment's lecturelib. A cell that runs
longer than --cell-timeout is interrupted and the notebook goes on; a notebook that runs longer
than --notebook-timeout, or whose kernel dies, is stopped and all its rows say so. Nothing a
submission does stops the run.

Writes OUT (CSV: student, notebook, exercise, title, points, max_points, result pass/fail,
status ok / wrong / unanswered / missing / timed out / error, message) and, beside it,
summary.txt (per-student totals, per-exercise pass rates), printed too.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import build

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")


@dataclass
class Row:
    student: str
    notebook: str
    exercise: str
    title: str
    points: float
    max_points: float
    result: str  # "pass" or "fail"
    status: str  # ok, wrong, unanswered, missing, timed out, error
    message: str


def titles(course: Path) -> dict[tuple[str, str], str]:
    """(notebook, grade_id) -> the check's own name ("00.1 · bits per dimension")."""
    import importlib

    named = {}
    for notebook, found in json.loads((course / "items.json").read_text()).items():
        for item in found:
            check = getattr(importlib.import_module(item["module"]), item["grade_id"])
            named[notebook, item["grade_id"]] = getattr(check, "name", item["grade_id"])
    return named


def kill_tree(process: subprocess.Popen) -> None:
    """nbgrader and every process under it (the kernel runs in a session of its own)."""
    import psutil

    try:
        parent = psutil.Process(process.pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        family = []
    for member in family:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait()


def autograde(course: Path, notebook: str, student: str, cell_timeout: int, limit: float) -> tuple[str, str]:
    """Run nbgrader on one notebook of one student: ("done", log) / ("timed out", log) / ("error", log)."""
    log = course / "logs" / f"{student}-{notebook}.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen([str(build.NBGRADER), "autograde", notebook, "--student", student, "--force",
                                    f"--Execute.timeout={cell_timeout}"],
                                   cwd=course, stdout=out, stderr=subprocess.STDOUT, env=build.environment())
        try:
            code = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            kill_tree(process)
            return "timed out", log.read_text()
    return ("done" if code == 0 else "error"), log.read_text()


def failure(log: str, cell_timeout: int) -> tuple[str, str]:
    """(status, message): why nbgrader gave up on a notebook, from its log."""
    if "DeadKernelError" in log or "Kernel died" in log:
        return "error", "error: the kernel died (the notebook crashed the Python process)"
    if "Timeout waiting for execute reply" in log:
        return "timed out", (f"timed out after {cell_timeout} s in a cell that did not stop when interrupted; "
                             "the notebook was stopped")
    errors = [line for line in log.splitlines() if re.search(r"Error\b|ERROR", line)]
    return "error", "error: " + (errors[0][:200] if errors else "nbgrader stopped (see the log in logs/)")


def text(value: str | list[str]) -> str:
    """A notebook's text field: one string, or (as stored) a list of lines."""
    return value if isinstance(value, str) else "".join(value)


def cell_outcome(cell: dict, cell_timeout: int) -> tuple[str, str] | None:
    """(status, message) from an autograded cell's outputs; None when it ran without error."""
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        if output["ename"] in ("CellTimeoutError", "KeyboardInterrupt"):
            return "timed out", f"timed out after {cell_timeout} s (the cell was interrupted)"
        if output["ename"] == "AssertionError" and output["evalue"].startswith(("[x]", "[ ]")):
            return ("unanswered" if output["evalue"].startswith("[ ]") else "wrong"), output["evalue"]
        return "error", f"error: {output['ename']}: {output['evalue']}"[:400]
    return None


def graded_rows(course: Path, notebook: str, student: str, items: list[dict], named, cell_timeout: int) -> list[Row]:
    from nbgrader.api import Gradebook

    graded = json.loads((course / "autograded" / student / notebook / f"{notebook}.ipynb").read_text())
    cells = {c["metadata"]["nbgrader"]["grade_id"]: c for c in graded["cells"] if "nbgrader" in c["metadata"]}
    rows = []
    with Gradebook(f"sqlite:///{course.resolve() / 'gradebook.db'}") as gradebook:
        for item in items:
            grade_id, title = item["grade_id"], named[notebook, item["grade_id"]]
            score = gradebook.find_grade(grade_id, notebook, notebook, student).score
            test, stub = cells.get(grade_id, {}), cells.get(f"{grade_id}-answer", {})
            outcome = cell_outcome(stub, cell_timeout)
            if outcome is None or outcome[0] != "timed out":
                outcome = cell_outcome(test, cell_timeout)
            if outcome is None:
                printed = "".join(text(o.get("text", "")) for o in test.get("outputs", []) if o.get("name") == "stdout")
                outcome = "ok", printed.strip()
            status, message = outcome
            if status == "ok" and score < item["points"]:
                status = "error"  # cannot happen unless nbgrader and the hidden test disagree
            rows.append(Row(student, notebook, grade_id, title, score, item["points"],
                            "pass" if score >= item["points"] else "fail", status, message))
    return rows


def grade(submissions: Path, course: Path, out: Path, cell_timeout: int, notebook_timeout: float,
          only: list[str] | None = None) -> list[Row]:
    notebooks = [p for p in build.NOTEBOOKS if not only or p.stem in only]
    if not build.up_to_date(course, notebooks):
        print(f"building the nbgrader course in {course} (new, or a notebook changed: a fresh gradebook)", flush=True)
        build.build(course, notebooks)
    assignments = {name: found for name, found in json.loads((course / "items.json").read_text()).items()
                   if name in {p.stem for p in notebooks}}
    named = titles(course)
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir())
    rows: list[Row] = []
    for student in students:
        for notebook, items in assignments.items():
            def every(status: str, message: str) -> list[Row]:
                return [Row(student, notebook, i["grade_id"], named[notebook, i["grade_id"]], 0, i["points"],
                            "fail", status, message) for i in items]

            handed_in = submissions / student / f"{notebook}.ipynb"
            if not STUDENT_ID.match(student):
                rows += every("error", f"error: {student!r} cannot be an nbgrader student id (letters, digits, _.@-)")
                continue
            if not handed_in.is_file():
                rows += every("missing", f"missing: no {notebook}.ipynb in {student}/")
                continue
            target = course / "submitted" / student / notebook
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            shutil.copy(handed_in, target / f"{notebook}.ipynb")
            start = time.perf_counter()
            outcome, log = autograde(course, notebook, student, cell_timeout, notebook_timeout)
            seconds = time.perf_counter() - start
            if outcome == "timed out":
                found = every("timed out", f"timed out after {notebook_timeout:g} s (the whole notebook; stopped)")
            elif outcome == "error":
                found = every(*failure(log, cell_timeout))
            else:
                try:
                    found = graded_rows(course, notebook, student, items, named, cell_timeout)
                except Exception as err:  # an unreadable result is a row too, never a stopped run
                    found = every("error", f"error: reading nbgrader's result failed: {type(err).__name__}: {err}")
            rows += found
            print(f"{student} {notebook}: {sum(r.points for r in found):g}/{sum(r.max_points for r in found):g} "
                  f"points in {seconds:.0f} s", flush=True)
    write(rows, out)
    return rows


def summary(rows: list[Row]) -> str:
    lines = ["Per student (points / max):"]
    by_student = defaultdict(list)
    for row in rows:
        by_student[row.student].append(row)
    for student, own in by_student.items():
        per_notebook = defaultdict(lambda: [0.0, 0.0])
        for row in own:
            per_notebook[row.notebook][0] += row.points
            per_notebook[row.notebook][1] += row.max_points
        total, most = sum(r.points for r in own), sum(r.max_points for r in own)
        problems = sorted({r.status for r in own} & {"missing", "timed out", "error"})
        lines.append(f"  {student:<16} {total:g}/{most:g}  " + "  ".join(
            f"{nb[:2]}:{p:g}/{m:g}" for nb, (p, m) in per_notebook.items())
            + (f"  ({', '.join(problems)})" if problems else ""))
    lines.append("Per exercise (passed / students):")
    by_item = defaultdict(list)
    for row in rows:
        by_item[row.notebook, row.exercise, row.title].append(row)
    for (notebook, exercise, title), own in by_item.items():
        passed = sum(r.result == "pass" for r in own)
        lines.append(f"  {notebook[:2]} {title[:60]:<60} {passed}/{len(own)} ({passed / len(own):.0%})")
    return "\n".join(lines) + "\n"


def write(rows: list[Row], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(Row.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(row) for row in rows)
    text = summary(rows)
    out.with_name("summary.txt").write_text(text)
    print(text + f"CSV: {out}\nsummary: {out.with_name('summary.txt')}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="SUBMISSIONS/<student>/<NN_name>.ipynb")
    parser.add_argument("--course", type=Path, default=build.COURSE)
    parser.add_argument("--out", type=Path, help="the CSV (default: COURSE/grades.csv)")
    parser.add_argument("--cell-timeout", type=int, default=300, help="seconds one cell may run (default 300)")
    parser.add_argument("--notebook-timeout", type=float, default=1200,
                        help="seconds one notebook may take in all (default 1200)")
    parser.add_argument("--notebooks", nargs="*", help="grade only these (e.g. 00_getting_started)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        sys.exit(f"{args.submissions} is not a folder: give SUBMISSIONS=dir with dir/<student>/<NN_name>.ipynb")
    grade(args.submissions, args.course, args.out or args.course / "grades.csv", args.cell_timeout,
          args.notebook_timeout, args.notebooks)


if __name__ == "__main__":
    main()
