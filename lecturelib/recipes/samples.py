"""How the shipped models make digits, in one domain: binary digits, drawn in seeded chunks.

Every model's samples are scored as coins (grey samples become {0, 1} by one Bernoulli draw per
pixel, as the test digits were binarized), FCD_SAMPLES at a time, in chunks of SAMPLE_CHUNK drawn
with generators seeded 0, 1, 2, ...: the first chunk is redrawn live to show that stored samples
come from the shipped checkpoint. The sampling protocol of the diffusion models (sampler, steps,
guidance) is here too; why these: benchmarks/results/recipe_notes.md.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from ..checkpoints import SamplesError, load_samples
from ..data import binarize_static, load_binarized_test, load_digits
from ..metrics import DigitClassifier, SpreadFCD, fcd_floor
from .recipe import Recipe

FCD_SAMPLES = 2000  # as many samples as test digits
SAMPLE_CHUNK = 64  # digits per seeded chunk (seeds 0, 1, 2, ...); chunk 0 is redrawn live to check
SAMPLE_BINARIZATION_SEED = 1  # grey samples -> coins (the test digits use data.TEST_BINARIZATION_SEED)
FLOOR_BINARIZATION_SEED = 2  # the real training digits of the floor -> coins

DIFFUSION_STEPS = 25  # network passes of the unconditional recipe's sampler
UNGUIDED_SAMPLER = "dpm"  # DPM-Solver++(2M) on log-SNR steps
GUIDED_SAMPLER, GUIDED_STEPS, GUIDANCE = "dpm", 15, 0.1  # the conditional recipe's


def as_coins(images: torch.Tensor, seed: int = SAMPLE_BINARIZATION_SEED) -> torch.Tensor:
    """Grey images -> {0, 1} by one Bernoulli draw per pixel; {0, 1} images stay as they are:
    every model's samples scored in the domain its likelihood (if any) lives in."""
    return binarize_static(images, seed=seed)


def draw_in_chunks(draw: Callable[[int, torch.Generator], torch.Tensor], n: int,
                   chunk: int = SAMPLE_CHUNK, progress: bool = False, desc: str = "samples") -> torch.Tensor:
    """n digits, drawn `chunk` at a time with generators seeded 0, 1, 2, ...: the first chunk is
    exactly draw(chunk, torch.Generator().manual_seed(0))."""
    starts = range(0, n, chunk)
    return torch.cat([draw(min(chunk, n - start), torch.Generator().manual_seed(i))
                      for i, start in enumerate(tqdm(starts, desc=desc, unit="chunk", disable=not progress))])


def draw_samples(recipe: Recipe, model: nn.Module, progress: bool = False) -> torch.Tensor:
    """The FCD_SAMPLES digits of a checkpoint, as coins: what data/samples/NAME.pt stores."""
    return as_coins(draw_in_chunks(lambda n, g: recipe.draw(model, n, g), FCD_SAMPLES,
                                   progress=progress, desc=recipe.name))


def check_first_chunk(name: str, first_chunk: torch.Tensor) -> None:
    """The stored digits of NAME must begin with the chunk drawn live (seed 0), as coins."""
    stored = load_samples(name)[:len(first_chunk)]
    if not torch.equal(stored, as_coins(first_chunk)):
        differ = (stored != as_coins(first_chunk)).flatten(1).any(1).sum().item()
        raise SamplesError(f"The stored samples of {name!r} do not start with the digits drawn now "
                           f"with seed 0 ({differ} of {len(first_chunk)} differ). Draw them again with "
                           f"`python -m lecturelib.recap --draw-samples {name}`.")


_FLOORS: dict[tuple[str, str], SpreadFCD] = {}  # (domain, the classifier's weights' sha256) -> floor


def _floor(domain: str, classifier: DigitClassifier, real: Callable[[], tuple[torch.Tensor, torch.Tensor]]) -> SpreadFCD:
    """fcd_floor(*real(), classifier, FCD_SAMPLES), computed once per process for each domain and
    classifier weights: the shipped digits do not change, and 10,000 digits' features take seconds."""
    digest = hashlib.sha256()
    for tensor in classifier.state_dict().values():
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    key = (domain, digest.hexdigest())
    if key not in _FLOORS:
        _FLOORS[key] = fcd_floor(*real(), classifier, FCD_SAMPLES)
    return _FLOORS[key]


def binary_floor(classifier: DigitClassifier) -> SpreadFCD:
    """The FCD floor in the binary domain: binarized training digits against the binarized test
    digits, FCD_SAMPLES at a time (`metrics.fcd_floor`)."""
    return _floor("binary", classifier, lambda: (as_coins(load_digits("train")[0], FLOOR_BINARIZATION_SEED),
                                                 load_binarized_test().x))


def grey_floor(classifier: DigitClassifier) -> SpreadFCD:
    """The FCD floor in the grey domain: training digits against the test digits, FCD_SAMPLES at a time."""
    return _floor("grey", classifier, lambda: (load_digits("train")[0], load_digits("test")[0]))


def labels_in_turn(n: int, num_classes: int = 10) -> torch.Tensor:
    """The labels the conditional models were asked for in n digits drawn by `draw_in_chunks`:
    0, 1, ..., 9, 0, ... within each chunk of SAMPLE_CHUNK (every chunk starts again at 0)."""
    return torch.cat([torch.arange(min(SAMPLE_CHUNK, n - start)) % num_classes
                      for start in range(0, n, SAMPLE_CHUNK)])


def draw_vae_digits(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """The VAE's digits as its likelihood scores them: z ~ p(z), then one coin per pixel."""
    return model.sample(n, generator=generator, binary=True)


def draw_digits_in_turn(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """The conditional GAN asked for the digits 0, 1, ..., 9, 0, 1, ... in turn."""
    return model.sample(n, generator=generator, labels=torch.arange(n) % model.config.num_classes)


def draw_diffusion_digits(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """The unconditional model: DIFFUSION_STEPS steps of UNGUIDED_SAMPLER; the conditional one:
    GUIDED_STEPS steps of GUIDED_SAMPLER, asked for 0, 1, ..., 9, 0, ... in turn, with guidance
    GUIDANCE."""
    if model.config.num_classes:
        return model.sample(n, steps=GUIDED_STEPS, method=GUIDED_SAMPLER, generator=generator,
                            labels=torch.arange(n) % model.config.num_classes, guidance=GUIDANCE)
    return model.sample(n, steps=DIFFUSION_STEPS, method=UNGUIDED_SAMPLER, generator=generator)
