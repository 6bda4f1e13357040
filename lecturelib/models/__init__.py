"""The course's models, one file per family: networks (tensor -> tensor) and the generative models
that own an objective and a sampler.

    checks.py          what every entry point is given (shape, dtype, range, labels, options)
    likelihood.py      the Bernoulli likelihood of binary pixels
    baselines.py       independent pixels (binary, and 256 grey levels), a PCA mixture
    autoencoder.py     linear and convolutional autoencoders
    vae.py             the VAE
    masked.py          masked convolutions and their masks
    autoregressive.py  what every pixel model shares: likelihood, sampler, output head
    fast_sampling.py   the PixelCNNs' cached samplers
    pixelcnn.py        PixelCNN and gated PixelCNN
    pixelrnn.py        the Row LSTM
    gan.py             GANs: losses, steps, the toys' MLPs, DCGAN
    diffusion/         diffusion and flow matching: schedule, samplers, flow, toy, config, unet, model,
                       bound (the variational bound on 8-bit digits)
    flow.py            the normalizing flow (RealNVP) of 8-bit digits
    grey_pixelcnn.py   the 256-way PixelCNN of 8-bit digits
    toy_flow.py        the coupling network of the 2-D flows (notebook 07)
"""
