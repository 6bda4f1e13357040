"""lecturelib: the small library behind the genmodels course notebooks.

One module per job, imported by name, so `import lecturelib` itself is instant and touches no
network, no file and no device:

    lecturelib.config       run profile (quick / full), set_seed, get_device
    lecturelib.data         the shipped MNIST digits, binarization, in-memory batch loader
    lecturelib.train        fit(): the one training loop, with a progress bar and callbacks
    lecturelib.checkpoints  save / load weights with a manifest (sha256, command, metric)
    lecturelib.metrics      nats <-> bits per dimension
    lecturelib.plot         image grids, loss curves, class counts
"""

__version__ = "0.1.0"
