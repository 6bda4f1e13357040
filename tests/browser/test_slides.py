"""Every notebook's reveal.js deck (make slides) opens offline: reveal.js initialises, the slide
count matches the notebook's slide cells, the maths is typeset, figures are there."""

import pytest

from helpers import ARTIFACTS, ROOT, block_network, notebooks, slide_types


@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_deck_renders_offline(browser, notebook):
    deck = ROOT / "build" / "slides" / f"{notebook.stem}.slides.html"
    assert deck.is_file(), f"{deck} is missing: run `make slides`"
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    refused = block_network(page, ("file:", "data:"))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready", timeout=30_000, state="attached")
    page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                           "&& MathJax.Hub.queue.running === 0", timeout=60_000)

    types = slide_types(notebook)
    expected = types.count("slide") + types.count("subslide")
    slides = page.evaluate("document.querySelectorAll('.reveal .slides section:not(.stack)').length")
    assert slides == expected, f"deck has {slides} slides, notebook has {expected} slide/subslide cells"
    assert page.evaluate("document.querySelectorAll('.reveal .slides > section').length") == types.count("slide")
    typeset = page.evaluate("document.querySelectorAll('.MathJax_CHTML, .MathJax').length")
    assert typeset > 0, "no maths was typeset by MathJax"
    assert page.evaluate("document.querySelectorAll('.reveal img').length") > 0, "no figures in the deck"
    assert not refused, f"the deck tried to load from the network: {refused}"
    assert not errors, f"JavaScript errors: {errors}"

    # Screenshots of the title, the first slide with maths and the first with a figure, stepping
    # through the deck as a presenter does (space: next fragment or slide).
    page.screenshot(path=str(ARTIFACTS / f"{notebook.stem}_1_title.png"))
    for name, selector in [("2_maths", ".MathJax_CHTML, .MathJax"), ("3_figure", "img")]:
        for _ in range(60):
            if page.evaluate(f"!!document.querySelector('section.present:not(.stack)').querySelector('{selector}')"):
                break
            page.keyboard.press("Space")
            page.wait_for_timeout(150)
        page.wait_for_timeout(900)  # let the transition finish
        page.screenshot(path=str(ARTIFACTS / f"{notebook.stem}_{name}.png"))
    page.close()
