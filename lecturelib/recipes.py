"""How each shipped checkpoint is made and measured: one Recipe per name.

    python -m lecturelib.train autoencoder_z32        # trains, evaluates, writes the checkpoint
    model = load_pretrained("autoencoder_z32")        # in a notebook: build + load + eval mode

A recipe holds the model's config, how to build it, how many epochs the full training takes, and
the metric it reports on the shipped test split. The same `evaluate` runs when the checkpoint is
made (its value goes into the manifest) and in tests/test_pretrained.py, which re-evaluates every
shipped checkpoint and compares.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any, Callable, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from .checkpoints import (SamplesError, load_checkpoint, load_samples, load_weights, record_metric,
                          save_checkpoint, store_log_likelihoods, store_samples)
from .config import isolated_seed
from .data import (TensorLoader, binarize_dynamic, binarize_static, load_binarized_test, load_digits,
                   random_shift)
from .metrics import (ClassifierConfig, DigitClassifier, SpreadFCD, bits_per_dim, classifier_accuracy,
                      confident_share, fcd_floor, fcd_with_spread, frechet_classifier_distance)
from .models.autoencoder import ConvAutoencoder, ConvAutoencoderConfig, reconstruction_loss
from .models.diffusion import DiffusionConfig, DiffusionModel
from .models.gan import DCGAN, DCGANConfig
from .models.pixelcnn import GatedPixelCNN, GatedPixelCNNConfig, PixelCNN, PixelCNNConfig
from .models.pixelrnn import RowLSTM, RowLSTMConfig
from .models.likelihood import bernoulli_nll
from .models.vae import VAE, VAEConfig, gaussian_kl
from .train import Callback, History, StepSchedule, WeightAverage, default_loss, fit, fit_gan


def sample_digits(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """n digits (n, 1, 28, 28) in [0, 1] from a model's own sampler: the default `Recipe.draw`."""
    return model.sample(n, generator=generator)


@dataclasses.dataclass(frozen=True)
class Training:
    """How a checkpoint is trained: every setting, written to the manifest beside the command."""

    epochs: int
    batch_size: int = 128
    lr: float = 1e-3  # Adam's learning rate (both players' for a GAN)
    schedule: str = "constant"  # "cosine": from lr down to 0 over the run (per step)
    dynamic_binarization: bool = False  # a fresh {0, 1} draw of every digit in every batch
    shift: int = 0  # augmentation: move each digit by up to this many pixels, every batch
    ema: float | None = None  # evaluate and ship an exponential moving average of the weights
    with_labels: bool = False  # batches are (x, y), the loss model.loss(x, y) (the classifier)
    seed: int = 0
    options: tuple[tuple[str, Any], ...] = ()  # more keywords for the trainer (a GAN's r1_gamma)

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"epochs, batch_size and lr must be positive: {self}")
        if self.schedule not in ("constant", "cosine"):
            raise ValueError(f"schedule must be 'constant' or 'cosine', got {self.schedule!r}")
        if self.ema is not None and not 0 < self.ema < 1:
            raise ValueError(f"ema is a decay in (0, 1) or None, got {self.ema}")


@dataclasses.dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    config: Any  # the model's (frozen) config dataclass, as trained
    build: Callable[[Any], nn.Module]  # config -> fresh model
    train: Callable[..., Any]  # (model, training, generator, progress) -> History
    training: Training
    evaluate: Callable[..., dict[str, float]]  # model (, per-digit log-likelihoods) -> test metrics
    rtol: float = 1e-3  # re-evaluated metric vs manifest (thread counts change late digits)
    draw: Callable[[nn.Module, int, torch.Generator], torch.Tensor] = sample_digits  # how it makes digits
    # per-digit test log-likelihoods by kind (exact / elbo / iwae100), for models that have one
    test_log_likelihoods: Callable[[nn.Module], dict[str, torch.Tensor]] | None = None
    # too slow to draw 2,000 digits live: they are drawn when the checkpoint is made, and stored
    stored_samples: bool = False
    metric_from_samples: bool = False  # evaluate(model, samples): its metric is about samples


# ---------------------------------------------------------------------------------------------
# Samples in one domain: binary digits, drawn in seeded chunks
# ---------------------------------------------------------------------------------------------

FCD_SAMPLES = 2000  # as many samples as test digits
SAMPLE_CHUNK = 64  # digits per seeded chunk (seeds 0, 1, 2, ...); chunk 0 is redrawn live to check
SAMPLE_BINARIZATION_SEED = 1  # grey samples -> coins (the test digits use data.TEST_BINARIZATION_SEED)
FLOOR_BINARIZATION_SEED = 2  # the real training digits of the floor -> coins


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


def binary_floor(classifier: DigitClassifier) -> SpreadFCD:
    """The FCD floor in the binary domain: binarized training digits against the binarized test
    digits, FCD_SAMPLES at a time (`metrics.fcd_floor`)."""
    x_train, _ = load_digits("train")
    return fcd_floor(as_coins(x_train, FLOOR_BINARIZATION_SEED), load_binarized_test().x, classifier,
                     FCD_SAMPLES)


# ---------------------------------------------------------------------------------------------
# Training on the shipped digits: one function, the settings of a Training
# ---------------------------------------------------------------------------------------------

def train_on_digits(model: nn.Module, training: Training, generator: torch.Generator,
                    progress: bool = True, *, x: torch.Tensor | None = None,
                    y: torch.Tensor | None = None, val_loader: Any = None,
                    callbacks: Sequence[Callback] = ()) -> History:
    """`fit` with Adam on the 8,000 training digits (or the given x, y), shuffled by
    `generator`, as `training` says; with `training.ema` the model ends with the averaged
    weights (and val_loader, when given, is scored with them)."""
    if x is None:
        x, y = load_digits("train")
    transform = _augmentation(training, generator)
    loader = TensorLoader(*((x, y) if training.with_labels else (x,)), batch_size=training.batch_size,
                          shuffle=True, generator=generator, transform=transform)
    optimizer = torch.optim.Adam(model.parameters(), lr=training.lr)
    steps = training.epochs * len(loader)
    extra: list[Callback] = []
    if training.schedule == "cosine":
        extra.append(StepSchedule(torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)))
    if training.ema is not None:
        extra.append(WeightAverage(model, training.ema))
    loss_fn = (lambda m, batch: m.loss(*batch)) if training.with_labels else default_loss
    return fit(model, loader, num_epochs=training.epochs, optimizer=optimizer, progress=progress,
               loss_fn=loss_fn, val_loader=val_loader, callbacks=[*extra, *callbacks])


def _augmentation(training: Training, generator: torch.Generator) -> Callable | None:
    steps = []
    if training.shift:
        steps.append(lambda x: random_shift(x, training.shift, generator))
    if training.dynamic_binarization:  # the recipe's generator: no draw from the global one
        steps.append(lambda x: binarize_dynamic(x, generator))
    if not steps:
        return None
    return lambda x: functools.reduce(lambda value, step: step(value), steps, x)


# ---------------------------------------------------------------------------------------------
# Autoencoders (notebook 02)
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def evaluate_autoencoder(model: nn.Module) -> dict[str, float]:
    """Test reconstruction: squared error and cross-entropy (nats), per digit."""
    model.eval()
    x, _ = load_digits("test")
    logits = torch.cat([model.decoder(model.encoder(part)) for part in x.split(500)])
    squared = (torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1).mean().item()
    return {"test_squared_error": squared, "test_recon_nats": reconstruction_loss(logits, x).item()}


def _autoencoder_recipe(latent_dim: int) -> Recipe:
    return Recipe(
        name=f"autoencoder_z{latent_dim}",
        description=f"convolutional autoencoder, {latent_dim}-dimensional bottleneck",
        config=ConvAutoencoderConfig(latent_dim=latent_dim),
        build=ConvAutoencoder, train=train_on_digits, training=Training(epochs=30),
        evaluate=evaluate_autoencoder)


# ---------------------------------------------------------------------------------------------
# Variational autoencoders (notebook 04)
# ---------------------------------------------------------------------------------------------

IWAE_SAMPLES = 100  # k of the importance-weighted estimate recorded for every VAE checkpoint


@torch.no_grad()
def vae_test_log_likelihoods(model: nn.Module) -> dict[str, torch.Tensor]:
    """Per test digit (2,000,), on the statically binarized test split, with seeded noise so the
    numbers repeat exactly: the ELBO and its two terms (one z per digit), and the IWAE-100
    estimate of log p(x). `evaluate_vae` averages them for the manifest."""
    model.eval()
    x, _ = load_binarized_test()
    generator = torch.Generator().manual_seed(0)
    parts: dict[str, list[torch.Tensor]] = {"recon": [], "kl": [], f"iwae{IWAE_SAMPLES}": []}
    for part in x.split(500):
        noise = torch.randn(len(part), model.config.latent_dim, generator=generator)
        output = model(part, noise=noise)
        parts["recon"].append(bernoulli_nll(output.logits, part))  # -log p(x|z), (B,)
        parts["kl"].append(gaussian_kl(output.mu, output.logvar))  # (B,)
        parts[f"iwae{IWAE_SAMPLES}"].append(model.iwae_log_likelihood(part, IWAE_SAMPLES, generator=generator))
    values = {key: torch.cat(value) for key, value in parts.items()}
    values["elbo"] = -(values["recon"] + values["kl"])
    return values


def evaluate_vae(model: nn.Module, values: dict[str, torch.Tensor] | None = None) -> dict[str, float]:
    """Test -ELBO (and its two terms) and the IWAE-100 estimate of -log p(x), nats per digit,
    from the per-digit values (computed here unless given)."""
    values = vae_test_log_likelihoods(model) if values is None else values
    return {"test_neg_elbo": -values["elbo"].mean().item(), "test_recon": values["recon"].mean().item(),
            "test_kl": values["kl"].mean().item(),
            f"test_nll_iwae{IWAE_SAMPLES}": -values[f"iwae{IWAE_SAMPLES}"].mean().item()}


def draw_vae_digits(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """The VAE's digits as its likelihood scores them: z ~ p(z), then one coin per pixel."""
    return model.sample(n, generator=generator, binary=True)


def _vae_recipe(name: str, latent_dim: int, num_epochs: int) -> Recipe:
    return Recipe(name=name, description=f"convolutional VAE, {latent_dim}-dimensional latent",
                  config=VAEConfig(latent_dim=latent_dim), build=VAE, train=train_on_digits,
                  training=Training(epochs=num_epochs, dynamic_binarization=True),
                  evaluate=evaluate_vae, draw=draw_vae_digits,
                  test_log_likelihoods=vae_test_log_likelihoods)


# ---------------------------------------------------------------------------------------------
# PixelRNN and PixelCNN (notebook 03)
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def pixel_test_log_likelihoods(model: nn.Module) -> dict[str, torch.Tensor]:
    """{"exact": log p(x) of every test digit (2,000,)}, on the statically binarized test split."""
    model.eval()
    x, _ = load_binarized_test()
    return {"exact": torch.cat([model.log_prob(part) for part in x.split(500)])}


def evaluate_pixel_model(model: nn.Module, values: dict[str, torch.Tensor] | None = None) -> dict[str, float]:
    """Exact test NLL, nats per digit and bits/dim, from the per-digit values (computed here
    unless given)."""
    values = pixel_test_log_likelihoods(model) if values is None else values
    nll = -values["exact"].mean().item()
    return {"test_nll": nll, "test_bits_per_dim": bits_per_dim(nll)}


# ---------------------------------------------------------------------------------------------
# The digit classifier behind the Fréchet classifier distance, and the GANs (notebook 05)
# ---------------------------------------------------------------------------------------------

DCGAN_R1_GAMMA = 1.0  # weight of the R1 penalty in the dcgan recipe (notebook 05 trains live with it too)


def evaluate_classifier(model: nn.Module) -> dict[str, float]:
    x, y = load_digits("test")
    return {"test_accuracy": classifier_accuracy(x, y, model)}


def train_gan_on_images(model: DCGAN, x: torch.Tensor, labels: torch.Tensor | None = None, *,
                        num_epochs: int, generator: torch.Generator, batch_size: int = 64,
                        progress: bool = True, **options: Any) -> History:
    """`fit_gan` for a DCGAN on images x in [0, 1] (rescaled to G's [-1, 1] here), shuffled by
    `generator`, which also draws the noise; `labels` for the conditional model. One generator
    step per batch; `options` go to fit_gan (lr, r1_gamma, decay_after, ...)."""
    tensors = (x * 2 - 1,) if labels is None else (x * 2 - 1, labels)
    loader = TensorLoader(*tensors, batch_size=batch_size, shuffle=True, generator=generator,
                          drop_last=True)
    return fit_gan(model.G, model.D, loader.forever(), lambda n: model.noise(n, generator),
                   num_steps=num_epochs * len(loader), progress=progress, **options)


def train_dcgan(model: DCGAN, training: Training, generator: torch.Generator,
                progress: bool = True) -> History:
    """The GAN recipes: every training digit once per epoch, with labels for the conditional
    model; training.options go to fit_gan (r1_gamma, decay_after)."""
    x, y = load_digits("train")
    return train_gan_on_images(model, x, y if model.config.num_classes else None,
                               num_epochs=training.epochs, generator=generator,
                               batch_size=training.batch_size, progress=progress, lr=training.lr,
                               **dict(training.options))


@torch.no_grad()
def evaluate_dcgan(model: nn.Module) -> dict[str, float]:
    """Fréchet classifier distance of 2,000 seeded samples to the 2,000 test digits, next to the
    floor (`metrics.fcd_floor`: real training digits, 2,000 at a time, against the same test
    digits). The conditional model is asked for the test set's labels, and scored also on whether
    the classifier agrees."""
    classifier = load_pretrained("classifier")
    x_train, _ = load_digits("train")
    x_test, y_test = load_digits("test")
    generator = torch.Generator().manual_seed(0)
    labels = y_test if model.config.num_classes else None
    samples = model.sample(FCD_SAMPLES, generator=generator, labels=labels)
    metric = {"test_fcd": frechet_classifier_distance(samples, x_test, classifier),
              "fcd_floor": fcd_floor(x_train, x_test, classifier, FCD_SAMPLES).value}
    if labels is not None:
        metric["label_agreement"] = classifier_accuracy(samples, labels, classifier)
    return metric


def draw_digits_in_turn(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """The conditional GAN asked for the digits 0, 1, ..., 9, 0, 1, ... in turn."""
    return model.sample(n, generator=generator, labels=torch.arange(n) % model.config.num_classes)


def _pixel_recipe(name: str, description: str, config: Any, build: Callable[[Any], nn.Module],
                  training: Training) -> Recipe:
    return Recipe(name, description, config, build, train_on_digits, training, evaluate_pixel_model,
                  test_log_likelihoods=pixel_test_log_likelihoods, stored_samples=True)


# ---------------------------------------------------------------------------------------------
# Diffusion models (notebook 06)
# ---------------------------------------------------------------------------------------------

DIFFUSION_STEPS = 25  # network passes of the unconditional recipe's sampler
# The unconditional recipe samples with DPM-Solver++(2M) on log-SNR steps: on the binarized
# training digits (512 samples each, FCD to them), DDIM-25 21.9, DPM-25 16.3, as good as DDIM-100
# (16.3); on 512 other start noises, 25.9 against 19.5. benchmarks/diffusion_choices.py.
UNGUIDED_SAMPLER = "dpm"
# The conditional recipe: classifier-free guidance w, sampler and steps chosen on the same digits
# (512 samples each, FCD to them / readable / asked digit read). By DDIM-25: w = 0: 11.5 / 85 % /
# 92 %; 0.5: 13.9 / 96 % / 98 %; 1: 27.1 / 98 % / 99 %; 2: 54.5 / 100 % / 100 %. At w = 0.5 DPM
# gains nothing (14.9 at 25 steps; DDIM-100: 13.7), but weaker guidance lets it: w = 0: 9.6 /
# 85 %; w = 0.1: 8.8 / 91 % / 95 % (DDIM: 10.1); w = 0.25: 9.7 / 93 % / 96 % (DDIM: 10.2). At
# w = 0.1, DPM with 15 steps: 8.7 (20: 9.0), so 15 steps, two network passes each, 3.4 s for 64
# digits. On 512 other start noises: w = 0.1 by DPM-15 6.7 and DPM-25 7.2, against 12.2 for the
# w = 0.5 by DDIM-25 shipped before. benchmarks/diffusion_choices.py.
GUIDED_SAMPLER, GUIDED_STEPS, GUIDANCE = "dpm", 15, 0.1


def labels_in_turn(n: int, num_classes: int = 10) -> torch.Tensor:
    """The labels the conditional models were asked for in n digits drawn by `draw_in_chunks`:
    0, 1, ..., 9, 0, ... within each chunk of SAMPLE_CHUNK (every chunk starts again at 0)."""
    return torch.cat([torch.arange(min(SAMPLE_CHUNK, n - start)) % num_classes
                      for start in range(0, n, SAMPLE_CHUNK)])


def draw_diffusion_digits(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """The unconditional model: DIFFUSION_STEPS steps of UNGUIDED_SAMPLER; the conditional one:
    GUIDED_STEPS steps of GUIDED_SAMPLER, asked for 0, 1, ..., 9, 0, ... in turn, with guidance
    GUIDANCE."""
    if model.config.num_classes:
        return model.sample(n, steps=GUIDED_STEPS, method=GUIDED_SAMPLER, generator=generator,
                            labels=torch.arange(n) % model.config.num_classes, guidance=GUIDANCE)
    return model.sample(n, steps=DIFFUSION_STEPS, method=UNGUIDED_SAMPLER, generator=generator)


@torch.no_grad()
def evaluate_diffusion(model: nn.Module, samples: torch.Tensor) -> dict[str, float]:
    """In the binary domain of the recap (`samples` are coins): the Fréchet classifier distance to
    the binarized test digits, its floor, and the share of samples the classifier is sure of; for
    the conditional model also how often it reads the digit that was asked for."""
    classifier = load_pretrained("classifier")
    metric = {"test_fcd_binary": fcd_with_spread(samples, load_binarized_test().x, classifier).value,
              "fcd_floor_binary": binary_floor(classifier).value,
              "confident_share": confident_share(samples, classifier)}
    if model.config.num_classes:
        metric["label_agreement"] = classifier_accuracy(samples, labels_in_turn(len(samples)), classifier)
    return metric


def _diffusion_recipe(name: str, description: str, config: DiffusionConfig, training: Training) -> Recipe:
    return Recipe(name, description, config, DiffusionModel, train_on_digits, training,
                  evaluate_diffusion, draw=draw_diffusion_digits, stored_samples=True,
                  metric_from_samples=True)


# The PixelCNNs: 13 and 15 layers (15 and 17 rows above), a cosine learning rate and weight
# averaging; validation probes: benchmarks/pixel_choices.py. (A Row LSTM 48 wide, 16 epochs with
# the same schedule and averaging, reached 94.11 nats, worse than a constant rate: not kept.)
# The Row LSTM: on the validation split, 20 epochs, batch 32 against 64 (the same time per epoch):
# 90.95 against 92.78 nats; a cosine schedule at batch 32: 93.58 (it decays too early); the
# average of the weights: no better (91.02). Capacity helped most: two layers 48 wide (122k
# parameters, 3.2x the time per epoch), 20 epochs, reached 85.89 nats (averaged weights, better
# than the last ones at every epoch from 9 on) and 52 % of samples readable, against 91.02 and
# 45 %; still falling. A third layer (180k parameters, 1.16x the time per epoch) was ahead again:
# 84.86 nats and 58 % readable after 20 epochs, and 85.29 against 85.89 at equal wall time
# (23.7 min); so three layers, 35 epochs (the most that fit the hour with room to spare).
PIXEL_TRAINING = dict(batch_size=64, dynamic_binarization=True)
# The diffusion models: per digit, a step costs the same at batch 32 as at 128 on a CPU, so small
# batches buy four times the updates in the same hour (the loss was still falling after 3,125 of
# them). 15,000 updates at batch 32 took the unconditional model's FCD to the binarized training
# digits from 27.1 to 18.4 (batch 128, lr 1e-3, EMA 0.999, 50 epochs before), in 50 min.
DIFFUSION_TRAINING = dict(epochs=60, batch_size=32, lr=5e-4, schedule="cosine", ema=0.9995)

RECIPES: dict[str, Recipe] = {r.name: r for r in [
    _autoencoder_recipe(2), _autoencoder_recipe(8), _autoencoder_recipe(32),
    _vae_recipe("vae", 16, 50), _vae_recipe("vae_2d", 2, 30),
    _pixel_recipe("pixelcnn", "PixelCNN: masked convolutions, residual blocks",
                  PixelCNNConfig(channels=64, num_blocks=12, head_channels=64), PixelCNN,
                  Training(epochs=24, schedule="cosine", ema=0.998, **PIXEL_TRAINING)),
    _pixel_recipe("gated_pixelcnn", "gated PixelCNN: vertical and horizontal stacks",
                  GatedPixelCNNConfig(channels=32, num_layers=14, head_channels=64), GatedPixelCNN,
                  Training(epochs=24, schedule="cosine", ema=0.998, **PIXEL_TRAINING)),
    _pixel_recipe("row_lstm", "PixelRNN: a Row LSTM",
                  RowLSTMConfig(channels=48, hidden=48, num_layers=3, head_channels=64), RowLSTM,
                  Training(epochs=35, ema=0.998, **{**PIXEL_TRAINING, "batch_size": 32})),
    _diffusion_recipe("diffusion", "diffusion model (DDPM, cosine schedule, small U-Net)",
                      DiffusionConfig(), Training(**DIFFUSION_TRAINING)),
    _diffusion_recipe("cdiffusion", "class-conditional diffusion model, classifier-free guidance",
                      DiffusionConfig(num_classes=10), Training(with_labels=True, **DIFFUSION_TRAINING)),
    Recipe("classifier", "digit classifier for the Fréchet classifier distance", ClassifierConfig(),
           DigitClassifier, train_on_digits, Training(epochs=8, with_labels=True), evaluate_classifier),
    # Twice D's width and four times the epochs of the conditional model, the second half with a
    # decaying learning rate, and the R1 penalty on D: without the label's help, the unconditional
    # game needs them.
    Recipe("dcgan", "DCGAN (unconditional)", DCGANConfig(d_channels=64), DCGAN, train_dcgan,
           Training(epochs=160, batch_size=64, lr=2e-4,
                    options=(("decay_after", 0.5), ("r1_gamma", DCGAN_R1_GAMMA))), evaluate_dcgan),
    Recipe("cgan", "class-conditional DCGAN", DCGANConfig(num_classes=10), DCGAN, train_dcgan,
           Training(epochs=40, batch_size=64, lr=2e-4), evaluate_dcgan, draw=draw_digits_in_turn),
]}


STORED = tuple(name for name, recipe in RECIPES.items() if recipe.stored_samples)


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise KeyError(f"no recipe named {name!r}; known: {', '.join(RECIPES)}")
    return RECIPES[name]


def load_pretrained(name: str, device: torch.device | str = "cpu", root: str | None = None) -> nn.Module:
    """Build the model from the checkpoint's own config, load its weights, set eval mode."""
    recipe = get_recipe(name)
    checkpoint = load_checkpoint(name, root=root)
    model = recipe.build(type(recipe.config)(**checkpoint.config)).to(device)
    load_weights(model, name, checkpoint=checkpoint)
    return model.eval()


def measure(recipe: Recipe, model: nn.Module, samples: torch.Tensor | None = None
            ) -> tuple[dict[str, float], dict[str, torch.Tensor] | None]:
    """The metric a checkpoint records and, for a model with a likelihood, the per-test-digit
    log-likelihoods that metric averages (computed once, for both). A metric about samples is
    computed on `samples` (the stored ones), or on samples drawn now."""
    if recipe.test_log_likelihoods is not None:
        values = recipe.test_log_likelihoods(model)
        return recipe.evaluate(model, values), values
    if recipe.metric_from_samples:
        if samples is None and recipe.stored_samples:  # the stored ones, if they are this model's
            samples = load_samples(recipe.name)
            check_first_chunk(recipe.name, recipe.draw(model, SAMPLE_CHUNK, torch.Generator().manual_seed(0)))
        return recipe.evaluate(model, draw_samples(recipe, model) if samples is None else samples), None
    return recipe.evaluate(model), None


def make_checkpoint(name: str, *, num_epochs: int | None = None, seed: int | None = None,
                    root: str | None = None, progress: bool = True) -> dict[str, float]:
    """Train recipe `name` from scratch, evaluate it, save checkpoint + manifest entry (with the
    command and every training setting), its per-digit test log-likelihoods if it has some, and
    its stored samples if it is too slow to sample live."""
    recipe = get_recipe(name)
    training = dataclasses.replace(recipe.training, epochs=num_epochs or recipe.training.epochs,
                                   seed=recipe.training.seed if seed is None else seed)
    with isolated_seed(training.seed) as generator:  # initial weights, dropout: seeded, then given back
        model = recipe.build(recipe.config)
        start = time.perf_counter()
        recipe.train(model, training, generator, progress)
        seconds = time.perf_counter() - start
    model.eval()
    samples, sample_seconds = None, 0.0
    if recipe.stored_samples:
        start = time.perf_counter()
        samples = draw_samples(recipe, model, progress=progress)
        sample_seconds = time.perf_counter() - start
    metric, values = measure(recipe, model, samples)
    command = f"python -m lecturelib.train {name}"
    if training.epochs != recipe.training.epochs:
        command += f" --epochs {training.epochs}"
    if training.seed != recipe.training.seed:
        command += f" --seed {training.seed}"
    save_checkpoint(model, name, command=command, metric=metric, config=recipe.config,
                    training=dataclasses.asdict(training), train_seconds=seconds, root=root)
    if root is None:  # measurements and samples are stored beside the shipped checkpoints only
        if values is not None:
            store_log_likelihoods(name, values)
        if samples is not None:
            store_samples(name, samples, chunk=SAMPLE_CHUNK, seconds=sample_seconds)
    return metric


def remeasure_checkpoint(name: str, root: str | None = None) -> dict[str, float]:
    """Evaluate the shipped checkpoint `name` again and record the result in the manifest (and
    its per-digit test log-likelihoods, for a model with a likelihood)."""
    metric, values = measure(get_recipe(name), load_pretrained(name, root=root))
    record_metric(name, metric, root=root)
    if values is not None and root is None:
        store_log_likelihoods(name, values)
    return metric
