"""lecturelib: the small library behind the genmodels course notebooks.

One job per file, imported by name, so `import lecturelib` itself is instant and touches no
network, no file and no device. Dependencies point one way, down this map: each layer imports
only from layers above it (within a package, files import their siblings), never lazily;
tests/test_project.py checks it, and that every file below is named here and every name here is a
file.

lecturelib.config               run profile (quick / full), set_seed, seeded, isolated_seed, get_device
lecturelib.data                 data/__init__.py: binarization, augmentation, in-memory loader, toy data;
                                data/files.py: the shipped digits, where they are, checked by sha256, read
lecturelib.density              k-means, PCA, Gaussian mixtures by EM, kernel density
lecturelib.models               the models, one file per family (networks, losses, samplers):
                                models/checks.py: what every entry point is given (shape, dtype,
                                range, 8-bit levels, labels, sampler options), each refusal naming
                                the fix
                                models/likelihood.py: the Bernoulli likelihood of binary pixels
                                models/baselines.py: independent pixels (binary, and 256 grey
                                levels), a PCA mixture
                                models/autoencoder.py: linear and convolutional autoencoders
                                models/vae.py: the VAE
                                models/masked.py: masked convolutions and their masks
                                models/autoregressive.py: what every pixel model shares
                                models/fast_sampling.py: the PixelCNNs' cached samplers
                                models/pixelcnn.py: PixelCNN and gated PixelCNN
                                models/pixelrnn.py: the Row LSTM
                                models/gan.py: GAN losses and steps, the toys' MLPs, DCGAN
                                models/diffusion/: models/diffusion/config.py,
                                models/diffusion/schedule.py (the forward process, the ELBO's
                                weights, the denoising loss), models/diffusion/samplers.py (DDPM,
                                DDIM, DPM-Solver++), models/diffusion/flow.py (flow matching),
                                models/diffusion/unet.py, models/diffusion/model.py,
                                models/diffusion/toy.py (the 2-D toys' network),
                                models/diffusion/bound.py (the variational bound on 8-bit digits)
                                models/flow.py: the normalizing flow (RealNVP) of 8-bit digits
                                models/grey_pixelcnn.py: the 256-way PixelCNN of 8-bit digits
                                models/toy_flow.py: the coupling network of the 2-D flows
lecturelib.metrics              bits per dimension, the digit classifier, Fréchet distance with its
                                spread and floor, classifier shares, bootstrap
lecturelib.train                the training loops: train/loop.py (the core they share: progress
                                bar, clock, callbacks, History, weights checked at the end),
                                train/fit.py (fit, evaluate), train/gan.py (fit_gan),
                                train/toy.py (train_toy), train/callbacks.py (History, TrainState,
                                Record, StepSchedule, WeightAverage), train/guards.py (no batch,
                                an empty batch, weights that are not numbers)
lecturelib.checkpoints          weights and stored samples, bound by sha256 to a manifest
lecturelib.recipes              how each shipped checkpoint is made and measured:
                                recipes/recipe.py (Training, Recipe, Evidence), recipes/samples.py
                                (seeded chunks, as coins, the samplers' settings),
                                recipes/training.py, recipes/evaluation.py (evaluate(model,
                                evidence)), recipes/registry.py (the recipes, load_pretrained),
                                recipes/making.py (measure, make, remeasure, store samples)
lecturelib.recap                every model side by side, in one table: recap/contenders.py,
                                recap/measure.py, recap/table.py; and on the grey-level scale:
                                recap/grey.py
lecturelib.plot                 figures: plot/images.py, plot/curves.py, plot/planes.py,
                                plot/trees.py, then one module per notebook: plot/unsupervised.py,
                                plot/autoencoders.py, plot/pixel_models.py, plot/vae.py,
                                plot/gans.py, plot/diffusion.py, plot/flows.py
lecturelib.widgets              sliders that redraw a figure (with a static fallback)
lecturelib.exercises            self-checking exercises: the machinery (exercises/harness.py,
                                exercises/compare.py, exercises/kinds.py), one module per notebook
                                (exercises/getting_started.py, exercises/unsupervised.py,
                                exercises/autoencoders.py, exercises/pixel_models.py,
                                exercises/vae.py, exercises/gans.py with exercises/gan_steps.py,
                                exercises/diffusion.py, exercises/flows.py, exercises/recap.py),
                                and the assignments
                                (exercises/assignments.py, what they share;
                                exercises/logit_probes.py; exercises/autoencoder_model.py,
                                exercises/pixelcnn_model.py, exercises/vae_model.py with
                                exercises/vae_probes.py, exercises/gan_model.py with
                                exercises/gan_probes.py, exercises/diffusion_model.py,
                                exercises/flow_model.py)

The command lines sit on top of everything, in lecturelib/__main__.py:

    python -m lecturelib train NAME     train a shipped checkpoint (also: python -m lecturelib.train NAME,
                                        train/__main__.py)
    python -m lecturelib remeasure NAME evaluate a shipped checkpoint again, record it
    python -m lecturelib recap          the comparison table (also: python -m lecturelib.recap,
                                        recap/__main__.py)
"""

__version__ = "0.1.0"
