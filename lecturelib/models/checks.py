"""What the models are given, checked at every entry point: losses, log-likelihoods, samplers,
encoders. A wrong input is refused here, with a message that names what was given and what to
pass, instead of failing deep inside a convolution or, worse, returning a number that only looks
right (a likelihood of grey pixels, a loss of 0..255 bytes, a "digit" drawn for the no-label token).

    check_images(x, "VAE.loss", BINARY)            # (B, 1, 28, 28), float32, every pixel 0 or 1
    check_labels(labels, n, 10, "DCGAN.sample")    # (n,) integers in 0..9

The networks (tensor -> tensor) are not checked: they are the building blocks, called many times
per step; the models that own an objective or a sampler check once per call.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import torch

DIGIT = (28, 28)  # (H, W) of the course's digits
BINARY = "binary"  # every pixel 0 or 1: the Bernoulli models (likelihood, pixel models, VAE loss)
UNIT = "unit"  # grey levels in [0, 1]: the digits as loaded (autoencoders, VAE encoder, diffusion)
SIGNED = "signed"  # [-1, 1]: the GANs' own scale (tanh output), x * 2 - 1 of a digit
RANGES = {UNIT: (0.0, 1.0), SIGNED: (-1.0, 1.0)}
LEVELS = 256  # grey levels of an 8-bit digit: the grey-level likelihoods score k in 0..255


def check_images(x: Any, where: str, values: str | None, size: tuple[int, int] | None = DIGIT,
                 dtype: torch.dtype | None = torch.float32) -> None:
    """Refuse anything but a non-empty batch of one-channel images (B, 1, H, W), (H, W) = `size`
    (any size when None), of `dtype` (any real dtype when None), finite, with values in the model's
    range: BINARY, UNIT, SIGNED, or None (any)."""
    shape = "(B, 1, H, W)" if size is None else f"(B, 1, {size[0]}, {size[1]})"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{where} expects images as a torch.Tensor of shape {shape}, got "
                        f"{type(x).__name__}: convert with torch.as_tensor(x, dtype=torch.float32)")
    if x.dim() != 4 or x.shape[1] != 1 or (size is not None and tuple(x.shape[2:]) != size):
        raise ValueError(f"{where} expects images of shape {shape}, got {tuple(x.shape)}{_shape_fix(x, size)}")
    if x.shape[0] == 0:
        raise ValueError(f"{where} got an empty batch, shape {tuple(x.shape)}: pass at least one image")
    if dtype is not None and x.dtype != dtype:
        fix = "x.float() / 255 turns bytes 0..255 into grey levels in [0, 1]" if x.dtype == torch.uint8 \
            else "convert with x.float()"
        raise TypeError(f"{where} expects {str(dtype).replace('torch.', '')} pixels, got {x.dtype}: {fix}")
    if values == BINARY:
        require_binary(x, where)  # every pixel a number (check_finite), then 0 or 1
        return
    check_finite(x, where, "pixels")
    if values is not None:
        low, high = RANGES[values]
        if x.min() < low or x.max() > high:
            raise ValueError(f"{where} expects pixels in [{low:g}, {high:g}], got values from "
                             f"{x.min().item():.4g} to {x.max().item():.4g}{_range_fix(x, values)}")


def _shape_fix(x: torch.Tensor, size: tuple[int, int] | None) -> str:
    side = size or DIGIT
    if x.dim() == 3 and (size is None or tuple(x.shape[1:]) == size):
        return ": no channel dimension; pass x.unsqueeze(1)"
    if x.dim() == 2 and x.shape[-1] == side[0] * side[1]:
        return f": flat images; pass x.view(-1, 1, {side[0]}, {side[1]})"
    if x.dim() in (1, 2):
        return f": pass a batch, e.g. x.view(1, 1, {side[0]}, {side[1]}) for one image"
    if x.dim() == 4 and x.shape[1] != 1:
        return ": the digits are grey, one channel; pass x[:, :1] or x.mean(1, keepdim=True)"
    if x.dim() == 4:
        return (f": the model is built for {side[0]}x{side[1]} digits; crop or resize them "
                f"(torch.nn.functional.interpolate(x, size={side}))")
    return ""


def _range_fix(x: torch.Tensor, values: str) -> str:
    if x.max() > 1.5:
        return ": bytes 0..255? divide by 255" + (", then x * 2 - 1" if values == SIGNED else "")
    if values == UNIT and x.min() < 0:
        return ": images in [-1, 1]? pass (x + 1) / 2"
    return ""


def require_binary(x: torch.Tensor, where: str = "a Bernoulli likelihood") -> None:
    """Refuse grey pixels where a likelihood of binary ones is computed, naming the fix: the
    number computed for a grey pixel would read like a likelihood without being one."""
    check_finite(x, where, "pixels")
    grey = (x != 0) & (x != 1)
    if grey.any():
        raise ValueError(
            f"{where}: {grey.float().mean().item():.0%} of the pixels are neither 0 nor 1 (values from "
            f"{x.min().item():.3g} to {x.max().item():.3g}), and a Bernoulli likelihood scores binarized "
            "digits only. Binarize first: data.load_binarized_test() for the test digits, or "
            "data.binarize_dynamic(x) for grey ones.")


def grey_levels(x: Any, where: str) -> torch.Tensor:
    """Digits (B, 1, 28, 28) in [0, 1] as loaded, k / 255 -> their levels k in 0..255 (float);
    refuses pixels that are not 8-bit levels: a binarized, blurred or dequantized digit would be
    scored as something it is not."""
    check_images(x, where, UNIT)
    levels = x * (LEVELS - 1)
    off = (levels - levels.round()).abs() > 1e-3
    if off.any():
        raise ValueError(f"{where}: {off.float().mean().item():.0%} of the pixels are not 8-bit grey levels "
                         "k / 255 (a grey-level likelihood scores the 256 levels); pass the digits as "
                         "data.load_digits() returns them")
    return levels.round()


def check_finite(x: torch.Tensor, where: str, what: str = "values") -> None:
    bad = ~torch.isfinite(x)
    if bad.any():
        raise ValueError(f"{where} got {int(bad.sum())} NaN or infinite {what} of {x.numel()}: every "
                         f"one must be a number; look for a division by 0 or a log of 0 where they were made")


def check_count(n: Any, where: str, what: str = "digits to draw", name: str = "n") -> int:
    """n, a whole number >= 1 (of digits to draw, of samples per digit, ...)."""
    try:
        value = operator.index(n)
    except TypeError:
        value = None
    if value is None or isinstance(n, bool) or value < 1:
        raise ValueError(f"{where} needs {name} >= 1, the number of {what} (a whole number); got {n!r}")
    return value


def check_codes(z: Any, n: int | None, dim: int, where: str) -> None:
    """Latent codes z (n, D): a float32 tensor, one row per digit (n rows when n is given)."""
    rows = "B" if n is None else n
    if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != dim or z.shape[0] == 0 \
            or (n is not None and z.shape[0] != n):
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"{where} expects codes z of shape ({rows}, {dim}), one row of {dim} numbers "
                         f"per digit, got {got}" + ("" if n is None else f": pass {n} rows, or n = len(z)"))
    if z.dtype != torch.float32:
        raise TypeError(f"{where} expects float32 codes, got {z.dtype}: convert with z.float()")
    check_finite(z, where, "code values")


def check_labels(labels: Any, n: int, num_classes: int, where: str, model: str, *,
                 required: bool = False, no_label_token: bool = False) -> None:
    """Class labels for a model with `num_classes` classes (0: unconditional, which takes none):
    a (n,) integer tensor in 0..num_classes - 1; None too, unless `required`. `no_label_token`:
    the model reads label num_classes as "no label" (classifier-free guidance), never a class."""
    ask = (f"pass labels=, {n} of them in 0..{num_classes - 1}, e.g. labels=torch.arange({n}) % "
           f"{num_classes}")
    if not num_classes:
        if labels is not None:
            raise ValueError(f"{where}: this {model} is unconditional: it takes no labels; pass "
                             "labels=None, or use the class-conditional model")
        return
    if labels is None:
        if required:
            raise ValueError(f"{where}: this {model} is conditional: it draws the digits you ask for. "
                             f"{ask[0].upper()}{ask[1:]}")
        return
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"{where}: labels must be an integer tensor, got {type(labels).__name__}: "
                        f"{ask} (torch.tensor([...]) turns a list into one)")
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise TypeError(f"{where}: labels must be whole numbers (torch.long), got {labels.dtype}: "
                        "pass labels.long()")
    if tuple(labels.shape) != (n,):
        raise ValueError(f"{where}: expected {n} labels, shape ({n},), one per digit; got shape "
                         f"{tuple(labels.shape)}: {ask}")
    low, high = labels.min().item(), labels.max().item()
    if low < 0 or high >= num_classes:
        token = (f"; {num_classes} is the model's 'no label' token, not a class: for digits of any "
                 "class pass labels=None (and guidance=0)") if no_label_token and high == num_classes else ""
        raise ValueError(f"{where}: labels must be classes 0..{num_classes - 1}, got {low}..{high}{token}")


def check_steps(steps: Any, num_steps: int, where: str) -> int:
    """A number of sampler steps in 1..num_steps (T)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= num_steps:
        raise ValueError(f"{where}: steps must be in 1..{num_steps}, a whole number of network "
                         f"passes, got {steps!r}")
    return steps


def check_guidance(guidance: Any, conditional: bool, has_labels: bool, where: str) -> None:
    """Classifier-free guidance w: a finite number >= 0 (0: none), only for a conditional model
    that is given labels."""
    if isinstance(guidance, bool) or not isinstance(guidance, (int, float)) or not math.isfinite(guidance) \
            or guidance < 0:
        raise ValueError(f"{where}: guidance w must be a finite number >= 0 (0: no guidance; notebook 06 "
                         f"uses 0.1 to 3), got {guidance!r}")
    if guidance and not conditional:
        raise ValueError(f"{where}: this diffusion model is unconditional: guidance steers towards "
                         "labels, and it has none; pass guidance=0, or use the conditional model")
    if guidance and not has_labels:
        raise ValueError(f"{where}: guidance needs labels: pass labels=, e.g. torch.arange(n) % 10")
