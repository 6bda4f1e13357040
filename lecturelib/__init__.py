"""lecturelib: the small library behind the genmodels course notebooks.

One module per job, imported by name, so `import lecturelib` itself is instant and touches no
network, no file and no device. Dependencies point one way, down this list (each module imports
only from modules above it; tests/test_project.py checks it):

    lecturelib.config          run profile (quick / full), set_seed, seeded, isolated_seed, get_device
    lecturelib.data            the shipped MNIST digits (data/files.py: where they are, checked by
                               sha256, read), binarization, augmentation, in-memory loader, toy data
    lecturelib.density         k-means, PCA, Gaussian mixtures by EM, kernel density
    lecturelib.models          checks (what every model entry point is given: shape, dtype, range,
                               labels, sampler options), then one file per family: likelihood (the
                               Bernoulli likelihood of binary pixels), autoencoder, pixelcnn,
                               pixelrnn, vae, gan, diffusion, baselines (independent pixels, a PCA
                               mixture): networks, losses, samplers
    lecturelib.metrics         bits per dimension, the digit classifier, Fréchet distance with its
                               spread and floor, classifier shares, bootstrap
    lecturelib.train           fit() and fit_gan(): the training loops (train/callbacks.py: History,
                               TrainState and the callbacks; train/guards.py: no batch, an empty
                               batch, weights that are no longer numbers)
    lecturelib.checkpoints     weights and stored samples, bound by sha256 to a manifest
    lecturelib.recipes         how each shipped checkpoint is trained (every setting) and measured
    lecturelib.recap           every model side by side, in one table
    lecturelib.plot            image grids, loss curves and the figures of each notebook
    lecturelib.widgets         sliders that redraw a figure (with a static fallback)
    lecturelib.exercises       self-checking exercises, one module per notebook

Command lines, on top of everything:

    python -m lecturelib.train NAME     (lecturelib/train/__main__.py) train a shipped checkpoint
    python -m lecturelib.recap          the comparison table, from the shell
"""

__version__ = "0.1.0"
