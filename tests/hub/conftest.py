"""Fixtures for the hub test: a real JupyterHub on this machine, started from deploy/'s own
configuration with a test login (DummyAuthenticator with a password) and a plain local spawner,
configurable-http-proxy from npm (build/node_modules, installed by `make test-hub`), every port
chosen free and every file under a temporary folder; and Debian's Chromium driven by Playwright.

Whatever happens in the test, the finalizer stops the hub (which stops the proxy and the servers
it started), then kills whatever is left: the hub's process group, every process it started, and
every process marked with this run's GENMODELS_HUB_TEST (the single-user servers and their
kernels, which run in sessions of their own), and checks that every port is free again."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from helpers import CHROMIUM, CHROMIUM_ARGS, answers, free_port, write_lab_settings  # noqa: E402  (the browser tests' Chromium)

ARTIFACTS = ROOT / "build" / "hub"
PROXY = ROOT / "build" / "node_modules" / ".bin" / "configurable-http-proxy"
SINGLEUSER = Path(sys.executable).parent / "jupyterhub-singleuser"
STUDENT_EDITION = ROOT / "build" / "student"  # make student; handed out by deploy/handout.sh
NOTEBOOK = "00_getting_started.ipynb"
GRADE = ROOT / "grading" / "grade.py"  # the instructor's autograding (nbgrader), when present
PASSWORD = "genmodels-class"  # DummyAuthenticator: any allowed name logs in with this password

CONFIG = """\
# Written by tests/hub/conftest.py: deploy/'s configuration, with a test login and a local spawner.
load_subconfig({deploy!r})
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {users!r}
c.Authenticator.admin_users = {{"instructor"}}
c.JupyterHub.spawner_class = "simple"  # SimpleLocalProcessSpawner: no Unix users, no systemd
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.environment["GENMODELS_HUB_TEST"] = {marker!r}
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.auth_token = {token!r}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {tmp!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {tmp!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {tmp!r} + "/cookie_secret"
c.JupyterHub.pid_file = {tmp!r} + "/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
"""


@dataclass
class Hub:
    url: str
    tmp: Path
    homes: Path
    config: Path
    marker: str
    proxy_api: str
    token: str
    ports: set[int] = field(default_factory=set)
    stopped: bool = False
    course: Path | None = None  # the nbgrader course the handed-out notebook comes from, if graded

    def routes(self) -> dict:
        """The proxy's routing table: each running single-user server's target URL."""
        request = urllib.request.Request(f"{self.proxy_api}/api/routes",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def remember_server_ports(self):
        for route in self.routes().values():
            target = route.get("target", "")
            if target.rsplit(":", 1)[-1].isdigit():
                self.ports.add(int(target.rsplit(":", 1)[-1]))

    def marked_processes(self) -> list[psutil.Process]:
        """Every process started for this run that inherited its marker (servers, kernels)."""
        found = []
        for proc in psutil.process_iter():
            try:
                if proc.environ().get("GENMODELS_HUB_TEST") == self.marker:
                    found.append(proc)
            except psutil.Error:
                continue
        return found


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def kill_all(processes: list[psutil.Process]):
    for proc in processes:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(processes, timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make test-hub`, which installs Debian's chromium.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, request):
    """A running JupyterHub: yields a Hub; the finalizer stops everything and frees its ports."""
    pytest.importorskip("jupyterhub", reason="the hub extra: pip install -e '.[hub]' (make test-hub)")
    for needed, how in ((PROXY, "make test-hub installs it from npm"),
                        (STUDENT_EDITION / NOTEBOOK, "run `make student`")):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: {how}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_factory.mktemp("hub")
    homes = tmp / "homes"
    settings = write_lab_settings(tmp / "lab-settings")
    port, hub_port, api_port = free_port(), free_port(), free_port()
    while len({port, hub_port, api_port}) < 3:
        hub_port, api_port = free_port(), free_port()
    args = [f"--LabApp.user_settings_dir={settings}", "--LabApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    marker, token = secrets.token_hex(8), secrets.token_hex(16)
    config = tmp / "jupyterhub_config.py"
    config.write_text(CONFIG.format(
        deploy=str(ROOT / "deploy" / "jupyterhub_config.py"), password=PASSWORD,
        users={"student1", "student2", "student3", "instructor"}, homes=str(homes),
        singleuser=str(SINGLEUSER), args=args, marker=marker, port=port, hub_port=hub_port,
        api_port=api_port, token=token, proxy=str(PROXY), tmp=str(tmp)))
    hub = Hub(url=f"http://127.0.0.1:{port}", tmp=tmp, homes=homes, config=config, marker=marker,
              proxy_api=f"http://127.0.0.1:{api_port}", token=token, ports={port, hub_port, api_port})
    log = open(ARTIFACTS / "jupyterhub.log", "w")
    # The hub's own environment: the venv's programs on the PATH, no test-only matplotlib backend.
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=tmp,
                               stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    started: dict[int, psutil.Process] = {}

    def track():  # every process the hub has started so far, kept for the finalizer
        try:
            for child in psutil.Process(process.pid).children(recursive=True):
                started.setdefault(child.pid, child)
        except psutil.Error:
            pass

    def stop():
        if hub.stopped:
            return
        hub.stopped = True
        track()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy itself
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        kill_all([p for p in started.values() if p.is_running()] + hub.marked_processes())
        process.wait(timeout=10)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(map(port_is_free, hub.ports)):
            time.sleep(0.5)

    request.addfinalizer(stop)
    hub.stop, hub.track = stop, track
    if not answers(f"{hub.url}/hub/api", process, 120):
        pytest.fail(f"JupyterHub did not start; see {ARTIFACTS / 'jupyterhub.log'}")
    track()
    yield hub


def grading_missing() -> str | None:
    """Why the instructor cannot autograde here, or None: grading/ (nbgrader, issue #35) and its extra."""
    if not GRADE.exists():
        return "grading/grade.py is not in this clone"
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        return "the grading extra is not installed (pip install -e '.[grading]'; make test-hub does)"
    return None


def hand_out(hub: Hub) -> str:
    """The student edition on the branch `student` of a course repository (deploy/handout.sh, as
    an instructor runs it), and the nbgitpuller link that gives it to a student: the hub sends
    the student to their own server, which clones (or later merges) the branch into ~/genmodels
    and opens the notebook. With grading at hand, the edition is nbgrader's student version of
    notebook 00 (grading/build.py, in a course folder of this run), which the instructor's
    autograding recognises; without it, `make student`'s."""
    notebook = STUDENT_EDITION / NOTEBOOK
    if grading_missing() is None:
        hub.course = hub.tmp / "course"
        subprocess.run([sys.executable, str(GRADE.with_name("build.py")), "--course", str(hub.course),
                        str(ROOT / "notebooks" / NOTEBOOK)], cwd=ROOT, check=True, capture_output=True)
        notebook = hub.course / "release" / Path(NOTEBOOK).stem / NOTEBOOK
    course = hub.tmp / "course.git"
    subprocess.run(["git", "init", "-q", "--bare", str(course)], check=True)
    subprocess.run(["bash", str(ROOT / "deploy" / "handout.sh"), str(notebook)], cwd=ROOT, check=True,
                   env={**os.environ, "GIT_DIR": str(course)}, capture_output=True)
    query = urllib.parse.urlencode({"repo": course.as_uri(), "branch": "student", "targetpath": "genmodels",
                                    "urlpath": f"lab/tree/genmodels/{NOTEBOOK}"})
    return f"{hub.url}/hub/user-redirect/git-pull?{query}"
