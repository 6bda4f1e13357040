"""A class on a real JupyterHub (make test-hub): three students log in through the hub's login page
in headless Chromium, follow the instructor's nbgitpuller link to the student edition of notebook
00 in their own JupyterLab, answer exercise 00.1 (bits per dimension) right, wrong or not at all,
run the notebook and read the check's verdict in the page; the instructor collects the notebooks
they saved and autogrades them (grading/grade.py, nbgrader) for each student's points. The hub runs deploy/jupyterhub_config.py (with a test login and a local
spawner, tests/hub/conftest.py), and stops with its proxy, servers and kernels at the end, its
ports free again."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import time

import pytest
from conftest import ARTIFACTS, GRADE, NOTEBOOK, PASSWORD, ROOT, grading_missing, hand_out, port_is_free

# Each student's answer to exercise 00.1, what its check must print, and the points autograding
# gives for it (notebook 00 has three exercises of one point; the other two stay unanswered).
ANSWERS = {
    "student1": ("right", "    return nll_nats / (num_dims * math.log(2))\n", "[ok] Exercise 00.1", 1),
    "student2": ("wrong", "    return nll_nats / num_dims\n", "[x] Exercise 00.1", 0),
    "student3": ("blank", None, "[ ] Exercise 00.1", 0),
}
STUB = "    ...  # your code\n    return None\n"
KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
                   && panel.sessionContext.session.kernel;
    return kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle'; }"""
# The exercise cell of the open notebook, found by its stub's def line.
EXERCISE_CELL = """(() => window.jupyterapp.shell.currentWidget.content.widgets.find(
    cell => cell.model.sharedModel.getSource().includes('def my_bits_per_dim(')))()"""
ANSWER = f"""(answer) => {{ const cell = {EXERCISE_CELL};
    cell.model.sharedModel.setSource(cell.model.sharedModel.getSource().replace({json.dumps(STUB)}, answer));
    return cell.model.sharedModel.getSource(); }}"""
# What the exercise cell printed, from the notebook's model (rendered or not) ...
PRINTED = f"""() => {{ const cell = {EXERCISE_CELL};
    return cell.model.outputs.toJSON().map(o => [].concat(o.text || []).join('')).join(''); }}"""
# ... and as the page shows it, once the cell is scrolled into view.
SHOWN = f"""() => {{ const cell = {EXERCISE_CELL}; cell.node.scrollIntoView({{block: 'center'}});
    const out = cell.node.querySelector('.jp-OutputArea');
    return out ? out.textContent : ''; }}"""
# Errors any cell of the open notebook shows (a run-all stops at the first).
ERRORS = """() => window.jupyterapp.shell.currentWidget.content.widgets.flatMap(cell =>
    cell.model.type === 'code' ? cell.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                     .map(o => o.ename + ': ' + o.evalue) : [])"""
RAN_TO_THE_END = """() => { const cells = window.jupyterapp.shell.currentWidget.content.widgets
    .filter(cell => cell.model.type === 'code');
    return cells.every(cell => cell.model.executionCount !== null); }"""


def log_in(browser, hub, student: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", student)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    # The hub starts the student's server (a spawn-pending page meanwhile), then JupyterLab.
    page.wait_for_url(re.compile(rf"/user/{student}/lab"), timeout=180_000)
    return page


def test_a_wrong_password_is_refused(browser, hub):
    page = browser.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", "student1")
    page.fill("#password_input", "not-the-password")
    page.click("#login_submit")
    page.wait_for_selector(".login_error", timeout=30_000)
    assert "/hub/login" in page.url
    page.close()


def test_three_students_answer_run_and_see_their_verdicts(browser, hub):
    start = time.monotonic()
    link = hand_out(hub)
    pages = {student: log_in(browser, hub, student) for student in ANSWERS}
    saved = {student: hub.homes / student / "genmodels" / NOTEBOOK for student in ANSWERS}
    hub.track()
    hub.remember_server_ports()
    assert len(hub.routes()) >= 1 + len(ANSWERS), hub.routes()  # the hub's route and one per student

    # Each follows the link to the notebook, answers (or not) and runs it top to bottom; the three
    # run at once.
    for student, page in pages.items():
        kind, answer, _, _ = ANSWERS[student]
        page.goto(link)
        page.wait_for_url(re.compile(rf"/user/{student}/lab/tree/genmodels/{NOTEBOOK}"), timeout=120_000)
        assert saved[student].exists(), f"nbgitpuller did not put the notebook in {saved[student]}"
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
        if answer is not None:
            source = page.evaluate(ANSWER, answer)
            assert answer in source and STUB not in source, source
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    hub.track()  # the kernels, started by the servers

    for student, page in pages.items():
        kind, answer, expected, _ = ANSWERS[student]
        page.wait_for_function(f"({PRINTED})().includes({json.dumps(expected[:4])}) || ({ERRORS})().length > 0",
                               timeout=300_000)
        assert not page.evaluate(ERRORS), f"{student}'s notebook stopped on an error"
        page.wait_for_function(f"({RAN_TO_THE_END})() && ({KERNEL_IDLE})()", timeout=300_000)
        page.wait_for_function(f"({SHOWN})().includes({json.dumps(expected)})", timeout=30_000)
        verdict = page.evaluate(SHOWN)
        assert expected in verdict, f"{student} ({kind}): {verdict}"
        if kind == "wrong":  # the check names the mistake
            assert "divide by ln 2" in verdict, verdict
        page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        page.screenshot(path=str(ARTIFACTS / f"{student}.png"))

    # What each student saved is what the instructor collects: the answer and the verdict are in it.
    for student, path in saved.items():
        kind, answer, expected, _ = ANSWERS[student]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cell = next(c for c in json.loads(path.read_text())["cells"]
                        if "def my_bits_per_dim(" in "".join(c["source"]))
            if cell.get("outputs"):
                break
            time.sleep(0.5)
        source = "".join(cell["source"])
        assert (answer or STUB) in source, f"{student}: {source}"
        printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
        assert expected in printed, f"{student}: {printed}"
    for page in pages.values():
        page.context.close()
    print(f"three students logged in, answered, ran notebook 00 and saved in {time.monotonic() - start:.0f} s")


def test_the_instructor_collects_and_autogrades(hub):
    """The instructor collects each student's notebook 00 from their home and autogrades the class
    with grading/grade.py (nbgrader, hidden tests against the instructor's lecturelib): the right
    answer earns its point, the wrong one none with its mistake named, the blank one none."""
    if (missing := grading_missing()) is not None:
        pytest.skip(f"the students ran their notebooks; no autograding here: {missing}")
    submissions = hub.tmp / "submissions"
    for student in ANSWERS:
        saved = hub.homes / student / "genmodels" / NOTEBOOK
        assert saved.exists(), f"nothing to collect from {student}"
        (submissions / student).mkdir(parents=True)
        shutil.copy(saved, submissions / student / NOTEBOOK)
    out = hub.tmp / "grades.csv"
    start = time.monotonic()
    result = subprocess.run([sys.executable, str(GRADE), str(submissions), "--course", str(hub.course),
                             "--out", str(out), "--notebooks", NOTEBOOK.removesuffix(".ipynb")],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    (ARTIFACTS / "grading.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.copy(out, ARTIFACTS / "grades.csv")
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    for student, (kind, _, _, points) in ANSWERS.items():
        own = [r for r in rows if r["student"] == student]
        first = next(r for r in own if r["title"].startswith("00.1"))
        assert float(first["points"]) == points, (student, kind, first)
        assert first["status"] == {"right": "ok", "wrong": "wrong", "blank": "unanswered"}[kind], first
        if kind == "wrong":
            assert "divide by ln 2" in first["message"], first
        assert sum(float(r["points"]) for r in own) == points, own  # the two other exercises: blank
        assert {r["status"] for r in own if r is not first} == {"unanswered"}, own
    print(f"graded three students' notebook 00 in {time.monotonic() - start:.0f} s")


def test_the_limits_of_deploy_reach_each_server(hub):
    """The single-user servers got deploy/'s limits (a local spawner passes them as MEM_LIMIT and
    CPU_LIMIT; systemd and Kubernetes enforce them) and two torch threads."""
    servers = [p for p in hub.marked_processes() if "jupyterhub-singleuser" in " ".join(p.cmdline())]
    if not servers:
        pytest.skip("no single-user server running (the students' test did not get that far)")
    for server in servers:
        env = server.environ()
        assert env["MEM_LIMIT"] == str(4 * 2**30) and float(env["CPU_LIMIT"]) == 2.0, env
        assert env["OMP_NUM_THREADS"] == "2"


def test_everything_stops_and_every_port_is_freed(hub):
    hub.remember_server_ports()
    hub.stop()
    assert not hub.marked_processes(), "single-user servers or kernels outlived the hub"
    busy = sorted(port for port in hub.ports if not port_is_free(port))
    assert not busy, f"ports still in use after the hub stopped: {busy}"
