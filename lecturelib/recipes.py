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
from typing import Any, Callable

import torch
from torch import nn

from .checkpoints import load_checkpoint, load_weights, record_metric, save_checkpoint
from .config import set_seed
from .data import TensorLoader, binarize_dynamic, load_binarized_test, load_digits
from .metrics import (ClassifierConfig, DigitClassifier, bits_per_dim, classifier_accuracy, fcd_floor,
                      frechet_classifier_distance)
from .models.autoencoder import ConvAutoencoder, ConvAutoencoderConfig, reconstruction_loss
from .models.gan import DCGAN, DCGANConfig
from .models.pixelcnn import GatedPixelCNN, GatedPixelCNNConfig, PixelCNN, PixelCNNConfig
from .models.pixelrnn import RowLSTM, RowLSTMConfig
from .models.likelihood import bernoulli_nll
from .models.vae import VAE, VAEConfig, gaussian_kl
from .train import History, default_loss, fit, fit_gan


def sample_digits(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """n digits (n, 1, 28, 28) in [0, 1] from a model's own sampler: the default `Recipe.draw`."""
    return model.sample(n, generator=generator)


@dataclasses.dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    config: Any  # the model's config dataclass, as trained
    build: Callable[[Any], nn.Module]  # config -> fresh model
    train: Callable[[nn.Module, int, torch.Generator], Any]  # model, epochs, generator
    evaluate: Callable[[nn.Module], dict[str, float]]  # model -> metrics on the test split
    num_epochs: int  # full training
    rtol: float = 1e-3  # re-evaluated metric vs manifest (thread counts change late digits)
    draw: Callable[[nn.Module, int, torch.Generator], torch.Tensor] = sample_digits  # how it makes digits
    # per-digit test log-likelihoods by kind (exact / elbo / iwae100), for models that have one
    test_log_likelihoods: Callable[[nn.Module], dict[str, torch.Tensor]] | None = None


# ---------------------------------------------------------------------------------------------
# Training on the shipped digits: one function, a few switches
# ---------------------------------------------------------------------------------------------

def train_on_digits(model: nn.Module, num_epochs: int, generator: torch.Generator,
                    progress: bool = True, *, batch_size: int = 128,
                    dynamic_binarization: bool = False, with_labels: bool = False) -> History:
    """`fit` with Adam (lr 1e-3) on the 8,000 training digits, shuffled by `generator`.

    dynamic_binarization: a fresh {0,1} draw of every digit in every batch (the likelihood
        models: it acts as data augmentation, and keeps a model from memorising 8,000 digits);
    with_labels: batches are (x, y) and the loss is model.loss(x, y) (the classifier)."""
    x, y = load_digits("train")
    loader = TensorLoader(*((x, y) if with_labels else (x,)), batch_size=batch_size, shuffle=True,
                          generator=generator,
                          transform=binarize_dynamic if dynamic_binarization else None)
    loss_fn = (lambda m, batch: m.loss(*batch)) if with_labels else default_loss
    return fit(model, loader, num_epochs=num_epochs, lr=1e-3, progress=progress, loss_fn=loss_fn)


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
        build=ConvAutoencoder, train=train_on_digits, evaluate=evaluate_autoencoder,
        num_epochs=30)


# ---------------------------------------------------------------------------------------------
# Variational autoencoders (notebook 04)
# ---------------------------------------------------------------------------------------------

train_vae = functools.partial(train_on_digits, dynamic_binarization=True)
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


def evaluate_vae(model: nn.Module) -> dict[str, float]:
    """Test -ELBO (and its two terms) and the IWAE-100 estimate of -log p(x), nats per digit."""
    values = vae_test_log_likelihoods(model)
    return {"test_neg_elbo": -values["elbo"].mean().item(), "test_recon": values["recon"].mean().item(),
            "test_kl": values["kl"].mean().item(),
            f"test_nll_iwae{IWAE_SAMPLES}": -values[f"iwae{IWAE_SAMPLES}"].mean().item()}


def draw_vae_digits(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    """The VAE's digits as its likelihood scores them: z ~ p(z), then one coin per pixel."""
    return model.sample(n, generator=generator, binary=True)


def _vae_recipe(name: str, latent_dim: int, num_epochs: int) -> Recipe:
    return Recipe(name=name, description=f"convolutional VAE, {latent_dim}-dimensional latent",
                  config=VAEConfig(latent_dim=latent_dim), build=VAE, train=train_vae,
                  evaluate=evaluate_vae, num_epochs=num_epochs, draw=draw_vae_digits,
                  test_log_likelihoods=vae_test_log_likelihoods)


# ---------------------------------------------------------------------------------------------
# PixelRNN and PixelCNN (notebook 03)
# ---------------------------------------------------------------------------------------------

# Batches of 64: more steps per epoch for these slower models; dynamic binarization as for the VAE.
train_pixel_model = functools.partial(train_on_digits, batch_size=64, dynamic_binarization=True)


@torch.no_grad()
def pixel_test_log_likelihoods(model: nn.Module) -> dict[str, torch.Tensor]:
    """{"exact": log p(x) of every test digit (2,000,)}, on the statically binarized test split."""
    model.eval()
    x, _ = load_binarized_test()
    return {"exact": torch.cat([model.log_prob(part) for part in x.split(500)])}


def evaluate_pixel_model(model: nn.Module) -> dict[str, float]:
    """Exact test NLL, nats per digit and bits/dim."""
    nll = -pixel_test_log_likelihoods(model)["exact"].mean().item()
    return {"test_nll": nll, "test_bits_per_dim": bits_per_dim(nll)}


# ---------------------------------------------------------------------------------------------
# The digit classifier behind the Fréchet classifier distance, and the GANs (notebook 05)
# ---------------------------------------------------------------------------------------------

FCD_SAMPLES = 2000  # as many samples as test digits
DCGAN_R1_GAMMA = 1.0  # weight of the R1 penalty in the dcgan recipe (notebook 05 trains live with it too)


def evaluate_classifier(model: nn.Module) -> dict[str, float]:
    x, y = load_digits("test")
    return {"test_accuracy": classifier_accuracy(x, y, model)}


def train_gan_on_images(model: DCGAN, x: torch.Tensor, labels: torch.Tensor | None = None, *,
                        num_epochs: int, generator: torch.Generator, batch_size: int = 64,
                        progress: bool = True, **options: Any) -> History:
    """`fit_gan` for a DCGAN on images x in [0, 1] (rescaled to G's [-1, 1] here), shuffled by
    `generator`, which also draws the noise; `labels` for the conditional model. One generator
    step per batch; `options` go to fit_gan (r1_gamma, decay_after, ...)."""
    tensors = (x * 2 - 1,) if labels is None else (x * 2 - 1, labels)
    loader = TensorLoader(*tensors, batch_size=batch_size, shuffle=True, generator=generator,
                          drop_last=True)
    return fit_gan(model.G, model.D, loader.forever(), lambda n: model.noise(n, generator),
                   num_steps=num_epochs * len(loader), progress=progress, **options)


def train_dcgan(model: DCGAN, num_epochs: int, generator: torch.Generator, progress: bool = True,
                **options: Any) -> History:
    """The GAN recipes: every training digit once per epoch, with labels for the conditional model."""
    x, y = load_digits("train")
    return train_gan_on_images(model, x, y if model.config.num_classes else None,
                               num_epochs=num_epochs, generator=generator, progress=progress, **options)


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


RECIPES: dict[str, Recipe] = {r.name: r for r in [
    _autoencoder_recipe(2), _autoencoder_recipe(8), _autoencoder_recipe(32),
    _vae_recipe("vae", 16, 50), _vae_recipe("vae_2d", 2, 30),
    Recipe("pixelcnn", "PixelCNN: masked convolutions, residual blocks", PixelCNNConfig(),
           PixelCNN, train_pixel_model, evaluate_pixel_model, num_epochs=30,
           test_log_likelihoods=pixel_test_log_likelihoods),
    Recipe("gated_pixelcnn", "gated PixelCNN: vertical and horizontal stacks",
           GatedPixelCNNConfig(), GatedPixelCNN, train_pixel_model, evaluate_pixel_model,
           num_epochs=25, test_log_likelihoods=pixel_test_log_likelihoods),
    Recipe("row_lstm", "PixelRNN: a Row LSTM", RowLSTMConfig(), RowLSTM, train_pixel_model,
           evaluate_pixel_model, num_epochs=20, test_log_likelihoods=pixel_test_log_likelihoods),
    Recipe("classifier", "digit classifier for the Fréchet classifier distance", ClassifierConfig(),
           DigitClassifier, functools.partial(train_on_digits, with_labels=True), evaluate_classifier,
           num_epochs=8),
    # Twice D's width and four times the epochs of the conditional model, the second half with a
    # decaying learning rate, and the R1 penalty on D: without the label's help, the unconditional
    # game needs them.
    Recipe("dcgan", "DCGAN (unconditional)", DCGANConfig(d_channels=64), DCGAN,
           functools.partial(train_dcgan, decay_after=0.5, r1_gamma=DCGAN_R1_GAMMA), evaluate_dcgan, num_epochs=160),
    Recipe("cgan", "class-conditional DCGAN", DCGANConfig(num_classes=10), DCGAN, train_dcgan,
           evaluate_dcgan, num_epochs=40, draw=draw_digits_in_turn),
]}


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


def make_checkpoint(name: str, *, num_epochs: int | None = None, seed: int = 0,
                    root: str | None = None) -> dict[str, float]:
    """Train recipe `name` from scratch, evaluate it, save checkpoint + manifest entry."""
    recipe = get_recipe(name)
    epochs = num_epochs or recipe.num_epochs
    generator = set_seed(seed)
    model = recipe.build(recipe.config)
    start = time.perf_counter()
    recipe.train(model, epochs, generator)
    seconds = time.perf_counter() - start
    metric = recipe.evaluate(model)
    command = f"python -m lecturelib.train {name}"
    if num_epochs is not None and num_epochs != recipe.num_epochs:
        command += f" --epochs {num_epochs}"
    if seed:
        command += f" --seed {seed}"
    save_checkpoint(model, name, command=command, metric=metric, config=recipe.config,
                    train_seconds=seconds, root=root)
    return metric


def remeasure_checkpoint(name: str, root: str | None = None) -> dict[str, float]:
    """Evaluate the shipped checkpoint `name` again and record the result in the manifest."""
    metric = get_recipe(name).evaluate(load_pretrained(name, root=root))
    record_metric(name, metric, root=root)
    return metric
