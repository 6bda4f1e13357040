"""Sliders that redraw a figure, and still show a figure where no kernel runs.

    interactive_plot(draw, bandwidth=FloatLogSlider(value=0.2, min=-2, max=0.5))

`draw(**values)` builds and returns a matplotlib Figure. The figure for the starting values is
shown as an ordinary cell output, so static views (GitHub, exported slides, a notebook opened
without a kernel) show a real picture; in a live JupyterLab each slider change redraws that
same output in place (an IPython display_id update), so there is never a second copy.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets
import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.figure import Figure


def interactive_plot(draw: Callable[..., Figure], **controls: ipywidgets.ValueWidget) -> dict:
    """Show the controls, then draw(**values) below them; redraw whenever a control changes.

    Returns the controls by name (handy for tests, or to set a value from code).
    """
    if not controls:
        raise ValueError("interactive_plot needs at least one control, e.g. k=IntSlider(...)")
    for name, control in controls.items():
        if not isinstance(control, ipywidgets.ValueWidget):
            raise TypeError(f"control {name!r} must be an ipywidgets widget with a value, "
                            f"e.g. ipywidgets.FloatSlider(...), got {type(control).__name__}")
        if not control.description:
            control.description = name
        control.continuous_update = False  # redraw on release: drawing takes a moment
    display(ipywidgets.VBox(list(controls.values())))

    def render() -> Figure:
        figure = draw(**{name: control.value for name, control in controls.items()})
        if not isinstance(figure, Figure):
            raise TypeError(f"draw must return a matplotlib Figure, got {type(figure).__name__}")
        plt.close(figure)  # shown through the display handle only, not again at cell end
        return figure

    handle = display(render(), display_id=True)  # None outside IPython (e.g. in tests)

    def redraw(_change) -> None:
        figure = render()
        if handle is not None:
            handle.update(figure)

    for control in controls.values():
        control.observe(redraw, names="value")
    return controls
