"""Masked convolutions: the masks that keep a pixel model causal (type A and B, and the gated
PixelCNN's vertical and horizontal stacks), and `MaskedConv2d`, a convolution whose kernel is
multiplied by one.

References: A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu (2016). Pixel Recurrent Neural
Networks. arXiv:1601.06759 (masks of type A and B, §3.4, Fig. 2). A. van den Oord et al. (2016).
Conditional Image Generation with PixelCNN Decoders. arXiv:1606.05328 (the two stacks, §2.2).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F


def causal_mask(kernel_size: int | tuple[int, int], mask_type: str) -> torch.Tensor:
    """The (kH, kW) mask of a masked convolution (van den Oord et al. 2016a, §3.4, Fig. 2):
    1 above the centre row and left of the centre in its row; the centre itself is 0 for type A
    (first layer: output i must not see input i) and 1 for type B (later layers: position i of a
    hidden map already depends only on inputs before i)."""
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    mask = torch.ones(kh, kw)
    mask[kh // 2, kw // 2 + (mask_type == "B"):] = 0  # the centre (type A) and right of it
    mask[kh // 2 + 1:] = 0  # rows below the centre
    return mask


def vertical_mask(kernel_size: int, include_centre_row: bool) -> torch.Tensor:
    """Mask of the gated PixelCNN's vertical stack: every row above the centre, full width (so no
    blind spot), plus the centre row in later layers (van den Oord et al. 2016b, §2.2)."""
    mask = torch.zeros(kernel_size, kernel_size)
    mask[:kernel_size // 2 + include_centre_row] = 1
    return mask


def horizontal_mask(kernel_size: int, include_centre: bool) -> torch.Tensor:
    """Mask of the horizontal stack, a (1, k) convolution along the row: left of the centre,
    plus the centre in later layers."""
    mask = torch.zeros(1, kernel_size)
    mask[0, :kernel_size // 2 + include_centre] = 1
    return mask


class MaskedConv2d(nn.Module):
    """A 'same'-size convolution whose (kH, kW) kernel is multiplied by a fixed 0/1 mask:

        y = conv2d(x, weight * mask) + bias,

    which is the whole idea of a masked convolution. (Convolving with only the mask's non-zero
    rows was tried as a speed-up: on 2 CPU cores it made no measurable difference.)"""

    def __init__(self, in_channels: int, out_channels: int, mask: torch.Tensor):
        super().__init__()
        if not mask.any():
            raise ValueError("the mask is all zeros: the convolution would see nothing")
        kh, kw = mask.shape
        self.register_buffer("mask", mask.clone().float(), persistent=False)  # (kH, kW)
        conv = nn.Conv2d(in_channels, out_channels, (kh, kw))  # for PyTorch's default initialisation
        self.weight = nn.Parameter(conv.weight.detach() * self.mask)  # (C_out, C_in, kH, kW)
        self.bias = nn.Parameter(conv.bias.detach())  # (C_out,)
        self.padding = (kh // 2, kw // 2)

    @classmethod
    def causal(cls, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
               mask_type: str, mask_fn: Callable[..., torch.Tensor] | None = None) -> MaskedConv2d:
        """A PixelCNN layer: `mask_fn(kernel_size, mask_type)` (default `causal_mask`) masks it."""
        return cls(in_channels, out_channels, (mask_fn or causal_mask)(kernel_size, mask_type))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)
