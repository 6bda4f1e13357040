"""The course's models, one file per family: networks (tensor -> tensor) and the generative models
that own an objective and a sampler."""
