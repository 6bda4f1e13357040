"""lecturelib: the small library behind the genmodels course notebooks.

One module per job, imported by name, so `import lecturelib` itself is instant and touches no
network, no file and no device:

    lecturelib.config       run profile (quick / full), set_seed, get_device
    lecturelib.data         the shipped MNIST digits, binarization, in-memory loader, toy data
    lecturelib.density      k-means, PCA, Gaussian mixtures by EM, kernel density
    lecturelib.models       autoencoder, pixelcnn, pixelrnn, vae, gan, baselines: networks,
                            losses, samplers
    lecturelib.metrics      bits per dimension, digit classifier, Fréchet distance with its spread
    lecturelib.train        fit() and fit_gan(): the training loops; `python -m lecturelib.train NAME`
    lecturelib.checkpoints  save / load weights with a manifest (sha256, command, metric); samples
    lecturelib.recipes      how each shipped checkpoint is trained and measured
    lecturelib.recap        every model side by side: `python -m lecturelib.recap`
    lecturelib.plot         image grids, loss curves, class counts, 2-D densities, trees
    lecturelib.widgets      sliders that redraw a figure (with a static fallback)
    lecturelib.exercises    self-checking exercises
"""

__version__ = "0.1.0"
