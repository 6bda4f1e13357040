"""Every notebook's reveal.js deck (make slides) opens offline: reveal.js initialises, the slide
count matches the notebook's slide cells, the maths is typeset, figures are there; every slide
fits its frame and has speaker notes; the speaker view shows them; each PDF has one page per slide."""

import pytest

from helpers import (ARTIFACTS, ROOT, SLIDE_HEIGHT, block_network, measure_slides, notebooks, open_deck,
                     pdf_pages, slide_types)


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


@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_every_slide_fits_its_frame_and_has_speaker_notes(browser, notebook):
    """An instructor presents the decks as they are: no slide may be taller than the 1280x800
    frame with all its fragments shown, and every slide has notes (S) to present from."""
    page, refused = open_deck(browser, ROOT / "build" / "slides" / f"{notebook.stem}.slides.html")
    slides = measure_slides(page)
    page.close()
    too_tall = [f"slide {s['index']} ({s['title'][:50]}): {s['height']} px, {s['height'] - SLIDE_HEIGHT} px too tall"
                for s in slides if s["height"] > SLIDE_HEIGHT]
    assert not too_tall, f"{notebook.stem}: " + "; ".join(too_tall)
    unnoted = [f"slide {s['index']} ({s['title'][:50]})" for s in slides if not s["notes"]]
    assert not unnoted, f"{notebook.stem}: no speaker notes on " + "; ".join(unnoted)
    assert not refused


def test_speaker_view_shows_the_notes(browser):
    """S opens reveal.js's speaker view (a second window) with the current slide's notes."""
    page, _ = open_deck(browser, ROOT / "build" / "slides" / f"{notebooks()[1].stem}.slides.html")
    page.keyboard.press("ArrowRight")
    with page.expect_popup(timeout=30_000) as popup:
        page.keyboard.press("s")
    speaker = popup.value
    speaker.set_viewport_size({"width": 1280, "height": 800})
    speaker.wait_for_function("(document.querySelector('.speaker-controls-notes .value') || {}).textContent"
                              " && document.querySelector('.speaker-controls-notes .value').textContent.trim().length > 20",
                              timeout=30_000)
    speaker.wait_for_timeout(1500)  # let the current and upcoming slides render in their frames
    speaker.screenshot(path=str(ARTIFACTS / "speaker_view.png"))
    notes = speaker.inner_text(".speaker-controls-notes .value")
    assert notes.strip() == page.evaluate("Reveal.getSlideNotes()").strip() or len(notes.strip()) > 20
    speaker.close()
    page.close()


@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_pdf_has_one_page_per_slide(notebook):
    """make slides-pdf prints each deck with reveal.js's print-pdf mode: a slide too tall for its
    page would spill onto a second page, so equal counts also say every slide fits."""
    pdf = ROOT / "build" / "slides" / f"{notebook.stem}.pdf"
    assert pdf.is_file(), f"{pdf} is missing: run `make slides-pdf`"
    types = slide_types(notebook)
    expected = types.count("slide") + types.count("subslide")
    assert pdf_pages(pdf) == expected, f"{pdf.name}: {pdf_pages(pdf)} pages for {expected} slides"
