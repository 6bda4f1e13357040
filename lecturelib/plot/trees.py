"""A tree drawn top-down in boxes: the taxonomy of generative models (notebook 08, `recap.TAXONOMY`)."""

from __future__ import annotations

from typing import Sequence, Union

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

TreeNode = Union[str, tuple[str, Sequence["TreeNode"]]]


def plot_tree(tree: TreeNode, *, ax: Axes | None = None, colors: dict[str, str] | None = None,
              fontsize: float = 8) -> Axes:
    """Draw a tree top-down: the root at the top, one row per depth, the leaves spread evenly from
    left to right and each parent centred over its children.

    A node is a label (a leaf) or (label, children); labels may span several lines. `colors`
    maps a node's label to its box colour (others are light grey)."""
    colors = colors or {}
    boxes: list[tuple[str, float, int]] = []  # (label, x, depth)
    edges: list[tuple[float, int, float, int]] = []  # parent (x, depth) -> child (x, depth)
    next_leaf = [0.0]

    def place(node: TreeNode, depth: int) -> float:
        label, children = node if isinstance(node, tuple) else (node, ())
        if children:
            xs = [place(child, depth + 1) for child in children]
            x = (xs[0] + xs[-1]) / 2
            edges.extend((x, depth, child_x, depth + 1) for child_x in xs)
        else:
            x, next_leaf[0] = next_leaf[0], next_leaf[0] + 1
        boxes.append((label, x, depth))
        return x

    place(tree, 0)
    width, depth = max(x for _, x, _ in boxes), max(d for _, _, d in boxes)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.1 * (width + 1), 1.25 * (depth + 1)))
    for x0, d0, x1, d1 in edges:
        ax.plot([x0, x1], [-d0, -d1], color="0.55", lw=1, zorder=1)
    for label, x, d in boxes:
        ax.text(x, -d, label, ha="center", va="center", fontsize=fontsize, zorder=2,
                bbox=dict(boxstyle="round,pad=0.4", fc=colors.get(label, "0.93"), ec="0.5"))
    ax.set_xlim(-0.6, width + 0.6)
    ax.set_ylim(-depth - 0.6, 0.5)
    ax.set_axis_off()
    return ax
