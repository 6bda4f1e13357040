"""Figures for the notebooks: general pieces, then one module per notebook's own figures.

The contract, which tests/test_plot.py holds for every function here:

- a function that draws one panel takes `ax: Axes | None = None`, draws on that Axes (making a
  new figure only when none is given) and returns it, so several can share one figure and a
  test can inspect what was drawn;
- a function that lays out several panels says so in its name, `figure_<what>`, and returns
  the Figure (what `widgets.interactive_plot` redraws);
- `image_grid` draws nothing: it tiles images into one tensor for `imshow`.

General pieces:

    plot/images.py          image grids, one panel or several side by side, stacked, in a grid
    plot/curves.py          training curves, scores against a setting, seed dots, trade-offs,
                            class counts
    plot/planes.py          2-D densities, codes coloured by label, paths in a plane
    plot/trees.py           a tree in boxes (the taxonomy of notebook 08)

One module per notebook, named as in lecturelib/exercises/: unsupervised (01), autoencoders (02),
pixel_models (03), vae (04), gans (05), diffusion (06), flows (07).

Everything is imported here, so `from lecturelib import plot; plot.show_images(x)` is all a
notebook needs.
"""

from .autoencoders import figure_bottleneck, figure_code_space, figure_training_and_images
from .curves import plot_class_counts, plot_curves, plot_history, plot_scores, plot_seed_dots, plot_tradeoff
from .diffusion import (figure_forward_process, figure_paths_and_steps, figure_step_errors, figure_steps_sweep,
                        plot_denoising)
from .flows import figure_change_of_variables_2d, plot_change_of_variables, plot_level_likelihoods
from .gans import (figure_gan_paths, figure_generator_losses, figure_interpolation, figure_ring_runs,
                   plot_optimal_discriminator)
from .images import (figure_digits_and_classes, figure_image_panels, figure_image_row, figure_image_rows,
                     image_grid, show_image_grid, show_images)
from .pixel_models import (figure_chain_rule, figure_completions, figure_generation, figure_masks,
                           figure_receptive_fields)
from .planes import plot_density_2d, plot_paths_2d, scatter_codes
from .trees import TreeNode, plot_tree
from .unsupervised import (figure_explicit_implicit, figure_kmeans, figure_mixture_fit, figure_pca,
                           figure_two_moons, plot_kde_1d)
from .vae import figure_terms, figure_traversals, plot_naive_estimates

__all__ = [
    # images.py
    "image_grid", "show_images", "show_image_grid", "figure_image_row", "figure_image_panels",
    "figure_image_rows", "figure_digits_and_classes",
    # curves.py
    "plot_history", "plot_class_counts", "plot_curves", "plot_scores", "plot_seed_dots", "plot_tradeoff",
    # planes.py
    "plot_density_2d", "scatter_codes", "plot_paths_2d",
    # trees.py
    "TreeNode", "plot_tree",
    # unsupervised.py (notebook 01)
    "figure_two_moons", "figure_kmeans", "figure_pca", "plot_kde_1d", "figure_mixture_fit",
    "figure_explicit_implicit",
    # autoencoders.py (notebook 02)
    "figure_training_and_images", "figure_bottleneck", "figure_code_space",
    # pixel_models.py (notebook 03)
    "figure_chain_rule", "figure_masks", "figure_receptive_fields", "figure_generation", "figure_completions",
    # vae.py (notebook 04)
    "plot_naive_estimates", "figure_terms", "figure_traversals",
    # gans.py (notebook 05)
    "plot_optimal_discriminator", "figure_generator_losses", "figure_gan_paths", "figure_ring_runs",
    "figure_interpolation",
    # diffusion.py (notebook 06)
    "figure_forward_process", "figure_step_errors", "plot_denoising", "figure_steps_sweep",
    "figure_paths_and_steps",
    # flows.py (notebook 07)
    "plot_change_of_variables", "figure_change_of_variables_2d", "plot_level_likelihoods",
]
