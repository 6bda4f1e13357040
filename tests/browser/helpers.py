"""Shared by the browser tests: paths, Chromium's flags, and small helpers."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background traffic is switched off: the tests prove the pages need no network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def slide_types(notebook: Path) -> list[str]:
    return [c["metadata"]["slideshow"]["slide_type"] for c in json.loads(notebook.read_text())["cells"]]


def block_network(page, allowed: tuple[str, ...]) -> list[str]:
    """Abort every request outside `allowed` prefixes; return the list of aborted URLs."""
    refused: list[str] = []

    def route(route):
        if route.request.url.startswith(allowed):
            route.fallback()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return refused


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 800  # the decks' size (slides/build.py)

# Every leaf slide of a reveal.js deck: its position, its first heading, the height of its content
# with every fragment laid out (hidden fragments keep their space) and whether it has notes.
MEASURE_SLIDES = """() => Reveal.getSlides().map((slide, index) => {
    const heading = slide.querySelector('h1, h2, h3');
    const notes = slide.querySelector('aside.notes');
    return {index: index + 1, title: heading ? heading.textContent.replace('¶', '').trim() : '(no heading)',
            height: slide.scrollHeight, notes: notes ? notes.textContent.trim().length : 0};
})"""


MATHJAX_IDLE = "window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0"


def open_deck(browser, deck: Path):
    """A page showing `deck` (offline), ready: reveal.js started and MathJax done."""
    page = browser.new_page(viewport={"width": SLIDE_WIDTH, "height": SLIDE_HEIGHT})
    refused = block_network(page, ("file:", "data:", "about:"))
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready", timeout=30_000, state="attached")
    page.wait_for_function(MATHJAX_IDLE, timeout=60_000)
    # reveal.js is a require.js module in nbconvert's decks: make it reachable as window.Reveal.
    page.evaluate("window.Reveal = window.Reveal || requirejs.s.contexts._.defined['vendor/reveal.js/dist/reveal.js']")
    # No slide transitions: a slide is measured once it is laid out where it will stay.
    page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    page.wait_for_timeout(300)
    return page, refused


def measure_slides(page) -> list[dict]:
    """Each slide's content height, measured while it is the current slide (reveal.js lays out
    only the slides near the current one)."""
    count = page.evaluate("Reveal.getSlides().length")
    heights = []
    for index in range(count):
        page.evaluate(f"Reveal.slide(...Object.values(Reveal.getIndices(Reveal.getSlides()[{index}])).slice(0, 2))")
        # The deck re-renders a slide's maths when it becomes current, some 100 ms later: a
        # height counts once it has held for 300 ms.
        height, held = None, 0
        for _ in range(40):
            page.wait_for_timeout(75)
            page.wait_for_function(MATHJAX_IDLE, timeout=30_000)
            current = page.evaluate(f"Reveal.getSlides()[{index}].scrollHeight")
            held = held + 1 if current == height else 0
            height = current
            if held == 4:
                break
        heights.append(height)
    slides = page.evaluate(MEASURE_SLIDES)
    for slide, height in zip(slides, heights):
        slide["height"] = height
    return slides


def pdf_pages(path: Path) -> int:
    """Number of pages of a PDF written by Chromium (each page is an object of /Type /Page)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


def write_lab_settings(folder: Path) -> Path:
    """JupyterLab user settings for a test server: every cell rendered (not only those on screen,
    so a test can read any output), no news fetched. Returns the folder, for --LabApp.user_settings_dir."""
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    }.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return folder


def answers(url: str, process: subprocess.Popen, seconds: float) -> bool:
    """Wait until `url` answers over HTTP (True), or the server `process` has exited or `seconds`
    have passed (False)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.5)
