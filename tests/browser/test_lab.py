"""In a real JupyterLab, a notebook's widget renders and drives its figure; in the RISE view of the
same notebook, the widget cell still shows a figure (its static fallback), so no slide is blank."""

import pytest

from helpers import ARTIFACTS, notebooks

WIDGET_NOTEBOOKS = [nb for nb in notebooks() if "interactive_plot(" in nb.read_text()]
KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
                   && panel.sessionContext.session.kernel;
    return kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle'; }"""
FIGURE_NEXT_TO_SLIDER = """() => {
    const cell = document.querySelector('.widget-slider').closest('.jp-Cell');
    const image = cell.querySelector('img');
    return image ? image.src : null; }"""


@pytest.fixture(scope="module")
def widget_notebook():
    if not WIDGET_NOTEBOOKS:
        pytest.skip("no notebook uses lecturelib.widgets.interactive_plot yet")
    return WIDGET_NOTEBOOKS[0]


def test_widget_renders_and_redraws_in_jupyterlab(browser, lab, widget_notebook):
    base, token, _ = lab
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{base}/lab/tree/{widget_notebook.name}?token={token}")
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    # Clear the stored outputs first: JupyterLab also renders widgets from the notebook's saved
    # widget state, and the test must see the ones the kernel makes now.
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function("document.querySelectorAll('.jp-Notebook .widget-slider').length === 0")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".jp-Notebook .widget-slider", state="attached", timeout=300_000)
    page.wait_for_function(f"({FIGURE_NEXT_TO_SLIDER})() !== null", timeout=60_000)
    page.evaluate("document.querySelector('.widget-slider').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "lab_widget.png"))

    before = page.evaluate(FIGURE_NEXT_TO_SLIDER)
    readout = page.inner_text(".widget-slider .widget-readout")
    page.focus(".widget-slider .noUi-handle")
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"({FIGURE_NEXT_TO_SLIDER})() !== {before!r}", timeout=30_000)
    assert page.inner_text(".widget-slider .widget-readout") != readout
    page.screenshot(path=str(ARTIFACTS / "lab_widget_moved.png"))
    errors = page.evaluate("""Array.from(document.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(e => e.textContent)""")
    assert not [e for e in errors if "Error" in e], errors
    page.close()


def test_rise_view_shows_the_widget_cells_figure(browser, lab, widget_notebook):
    """jupyterlab-rise shows stored outputs; the widget cell's figure is a plain output, so its
    slide shows a picture even without a kernel (sliders themselves do not render in RISE)."""
    base, token, _ = lab
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base}/rise/{widget_notebook.name}?token={token}")
    page.wait_for_selector(".reveal .slides section", state="attached", timeout=120_000)
    page.wait_for_timeout(3000)
    page.screenshot(path=str(ARTIFACTS / "rise_title.png"))
    cell = page.locator(".jp-CodeCell", has_text="interactive_plot(").first
    assert cell.locator(".jp-OutputArea-output img").count() >= 1, "the widget cell shows no figure"
    page.close()


CONTENT_BOTTOM = """() => {  // the lowest visible box of the current slide, in window pixels
    const slides = document.querySelectorAll('.reveal .slides section.present');
    const slide = slides[slides.length - 1];
    let bottom = 0;
    for (const el of slide.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width > 0 && box.height > 0) bottom = Math.max(bottom, box.bottom);
    }
    return {bottom: bottom, figure: slide.querySelector('.jp-OutputArea-output img') !== null};
}"""


def test_rise_first_slide_with_a_figure_fits_the_window(browser, lab):
    """Live RISE shows code as it is (hide-input or not): the first slide of notebook 00 that
    carries a figure, with its code, fits a 1280x800 window."""
    base, token, _ = lab
    notebook = notebooks()[0]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base}/rise/{notebook.name}?token={token}")
    page.wait_for_selector(".reveal .slides section.present", state="attached", timeout=120_000)
    page.wait_for_timeout(3000)
    for _ in range(60):  # forward, slide by slide and fragment by fragment, to the first figure
        state = page.evaluate(CONTENT_BOTTOM)
        if state["figure"]:
            break
        page.keyboard.press("Space")
        page.wait_for_timeout(400)
    assert state["figure"], f"no slide with a figure within 60 steps of {notebook.name}"
    page.wait_for_timeout(1500)  # images laid out
    state = page.evaluate(CONTENT_BOTTOM)
    page.screenshot(path=str(ARTIFACTS / "rise_first_figure.png"))
    assert state["bottom"] <= 800, f"RISE: the first slide with a figure ends at {state['bottom']:.0f} px of 800"
    page.close()
