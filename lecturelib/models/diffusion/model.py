"""The diffusion model of grey digits: `loss(x)` trains its U-Net to predict the noise,
`sample(n)` draws digits (DDIM, DPM-Solver++ or DDPM), and classifier-free guidance steers the
conditional one towards its labels (J. Ho, T. Salimans (2022), arXiv:2207.12598).

Digits are grey levels scaled to [-1, 1]; `sample` returns them in [0, 1], like the GANs'.
"""

from __future__ import annotations

import torch
from torch import nn

from ..checks import UNIT, check_count, check_guidance, check_images, check_labels, check_steps
from .config import DiffusionConfig
from .samplers import ddim_path, ddpm_step, dpm_solver_path, logsnr_times
from .schedule import Schedule, cosine_schedule, denoising_loss
from .unet import UNet

DDIM_STEPS = 25  # the default of `DiffusionModel.sample`: 64 digits in a few seconds on 2 cores


class DiffusionModel(nn.Module):
    """A denoising diffusion model of grey digits: `loss(x)` trains it, `sample(n)` draws digits
    (DDIM in `steps` steps, or DDPM's ancestral sampler through all T), `guidance` steers the
    conditional one towards its labels."""

    def __init__(self, config: DiffusionConfig = DiffusionConfig()):
        super().__init__()
        self.config = config
        self.schedule = Schedule(cosine_schedule(config.num_steps))
        self.net = UNet(config)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def loss(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """`denoising_loss` on digits in [0, 1] (scaled to [-1, 1]); the conditional model sees
        "no label" for a share `label_dropout` of them, so that it also learns p(x) for guidance."""
        check_images(x, "DiffusionModel.loss", UNIT)  # the digits as loaded; scaled to [-1, 1] below
        check_labels(labels, len(x), self.config.num_classes, "DiffusionModel.loss", "diffusion model", no_label_token=True)
        if labels is not None and self.config.num_classes:
            dropped = torch.rand(len(x), device=x.device) < self.config.label_dropout
            labels = torch.where(dropped, torch.full_like(labels, self.config.num_classes), labels)
        return denoising_loss(lambda x_t, t: self.net(x_t, t, labels), self.schedule, x * 2 - 1)

    def predict_noise(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None,
                      guidance: float = 0.0) -> torch.Tensor:
        """eps_theta(x_t, t, y); with guidance w > 0, (1 + w) eps(x_t, t, y) - w eps(x_t, t):
        classifier-free guidance pushes away from what the model predicts without the label."""
        if labels is None or guidance == 0:
            return self.net(x, t, labels)
        both = self.net(torch.cat([x, x]), torch.cat([t, t]),
                        torch.cat([labels, torch.full_like(labels, self.config.num_classes)]))
        with_label, without = both.chunk(2)
        return (1 + guidance) * with_label - guidance * without

    @torch.no_grad()
    def sample(self, n: int, *, steps: int | None = None, method: str = "ddim",
               generator: torch.Generator | None = None, labels: torch.Tensor | None = None,
               guidance: float = 0.0) -> torch.Tensor:
        """n digits (n, 1, 28, 28) in [0, 1], from x_T ~ N(0, I).

        method "ddim": Song et al.'s deterministic sampler on `steps` evenly spaced steps
        (DDIM_STEPS when None); method "dpm": DPM-Solver++(2M), deterministic too, `steps`
        network passes spaced evenly in log SNR (`logsnr_times`); method "ddpm": Ho et al.'s
        Algorithm 2, a fresh noise at each of the T steps (`steps` must be None or T).
        `labels` (n,) for the conditional model; `guidance` is w."""
        if method not in ("ddim", "dpm", "ddpm"):
            raise ValueError(f"method must be 'ddim', 'dpm' or 'ddpm', got {method!r}")
        T = self.config.num_steps
        if method == "ddpm" and steps not in (None, T):
            raise ValueError(f"DDPM runs all T = {T} steps; for fewer, use method='ddim'")
        if steps is None:
            steps = T if method == "ddpm" else DDIM_STEPS
        where, K = "DiffusionModel.sample", self.config.num_classes
        check_steps(steps, T, where)
        check_labels(labels, check_count(n, where), K, where, "diffusion model", no_label_token=True)  # K: "no label"
        check_guidance(guidance, bool(K), labels is not None, where)
        was_training = self.training
        self.eval()
        x = torch.randn(n, 1, 28, 28, generator=generator).to(self.device)
        labels = None if labels is None else labels.to(self.device)
        predict = lambda x_t, t: self.predict_noise(x_t, t, labels, guidance)  # noqa: E731
        if method == "ddpm":
            x = self._ddpm(predict, x, generator)
        elif method == "dpm":
            x = dpm_solver_path(predict, self.schedule, x, logsnr_times(self.schedule, steps), clip=1.0)[-1]
        else:
            x = ddim_path(predict, self.schedule, x, steps, clip=1.0)[-1]
        self.train(was_training)
        return ((x + 1) / 2).clamp(0, 1)

    def _ddpm(self, predict, x, generator):
        for t in range(self.config.num_steps, 0, -1):
            eps = predict(x, torch.full((len(x),), t, device=x.device))
            noise = torch.randn(x.shape, generator=generator).to(x.device) if t > 1 else None
            x = ddpm_step(self.schedule, x, t, eps, noise, clip=1.0)
        return x
