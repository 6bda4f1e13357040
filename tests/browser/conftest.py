"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, and a JupyterLab server
on a free loopback port serving a temporary copy of the notebooks (running them there never
touches the committed files). Run with `make test-browser`, which builds the decks and installs
Chromium first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, answers, free_port, write_lab_settings


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make test-browser`, which installs Debian's "
                    "chromium package, or `apt-get install chromium`.")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A JupyterLab server: yields (base_url, token, notebook_dir)."""
    tmp = tmp_path_factory.mktemp("lab")
    notebook_dir = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebook_dir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = write_lab_settings(tmp / "settings")
    port, token = free_port(), "genmodels-browser-test"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={notebook_dir}", f"--LabApp.user_settings_dir={settings}",
               f"--LabApp.workspaces_dir={tmp / 'workspaces'}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(ARTIFACTS / "jupyterlab.log", "w")
    # The kernel must use Jupyter's inline backend, as a student's does: drop the Agg backend that
    # tests/conftest.py sets for the unit tests.
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, env=env)
    base = f"http://127.0.0.1:{port}"
    if not answers(f"{base}/api/status?token={token}", server, 90):
        server.kill()
        pytest.fail(f"JupyterLab did not start; see {ARTIFACTS / 'jupyterlab.log'}")
    yield base, token, notebook_dir
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()
