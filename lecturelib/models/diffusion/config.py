"""DiffusionConfig: the hyperparameters of the digit model and of its U-Net, in one place.

Its defaults are the shipped unconditional model, data/checkpoints/diffusion.pt; the conditional
one, cdiffusion.pt, names only what differs (num_classes=10).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiffusionConfig:
    channels: int = 32  # C at 28 x 28; 2C at 14 x 14 and 7 x 7
    num_steps: int = 1000  # T
    num_classes: int = 0  # 0: unconditional; 10: label in (a learned "no label" as well)
    label_dropout: float = 0.1  # training without the label this often (classifier-free guidance)
    dropout: float = 0.1
