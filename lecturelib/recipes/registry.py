"""The recipes: how each shipped checkpoint is trained (every setting) and measured, by name, and
`load_pretrained` to build one from its checkpoint. Why these settings (the probes behind each
choice): benchmarks/results/recipe_notes.md."""

from __future__ import annotations

from torch import nn
import torch

from ..checkpoints import load_checkpoint, load_weights
from ..metrics import ClassifierConfig, DigitClassifier
from ..models.autoencoder import ConvAutoencoder, ConvAutoencoderConfig
from ..models.diffusion import DiffusionConfig, DiffusionModel
from ..models.flow import FlowConfig, RealNVP
from ..models.grey_pixelcnn import GreyPixelCNN, GreyPixelCNNConfig
from ..models.gan import DCGAN, DCGANConfig
from ..models.pixelcnn import GatedPixelCNN, GatedPixelCNNConfig, PixelCNN, PixelCNNConfig
from ..models.pixelrnn import RowLSTM, RowLSTMConfig
from ..models.vae import VAE, VAEConfig
from .evaluation import (diffusion_test_bounds, evaluate_autoencoder, evaluate_classifier, evaluate_diffusion,
                         evaluate_gan_grey, evaluate_grey_model, evaluate_pixel_model, evaluate_vae,
                         grey_test_log_likelihoods, pixel_test_log_likelihoods, vae_test_log_likelihoods)
from .recipe import Recipe, Training
from .samples import draw_diffusion_digits, draw_digits_in_turn, draw_vae_digits
from .training import DCGAN_R1_GAMMA, train_dcgan, train_on_digits


def _autoencoder_recipe(latent_dim: int) -> Recipe:
    return Recipe(name=f"autoencoder_z{latent_dim}",
                  description=f"convolutional autoencoder, {latent_dim}-dimensional bottleneck",
                  config=ConvAutoencoderConfig(latent_dim=latent_dim), build=ConvAutoencoder,
                  train=train_on_digits, training=Training(epochs=30), evaluate=evaluate_autoencoder)


def _vae_recipe(name: str, latent_dim: int, num_epochs: int) -> Recipe:
    return Recipe(name=name, description=f"convolutional VAE, {latent_dim}-dimensional latent",
                  config=VAEConfig(latent_dim=latent_dim), build=VAE, train=train_on_digits,
                  training=Training(epochs=num_epochs, dynamic_binarization=True),
                  evaluate=evaluate_vae, draw=draw_vae_digits,
                  test_log_likelihoods=vae_test_log_likelihoods)


def _pixel_recipe(name: str, description: str, config, build, training: Training) -> Recipe:
    return Recipe(name, description, config, build, train_on_digits, training, evaluate_pixel_model,
                  test_log_likelihoods=pixel_test_log_likelihoods, stored_samples=True)


def _grey_recipe(name: str, description: str, config, build, training: Training) -> Recipe:
    """A likelihood of the 8-bit digits (notebook 07's scale), trained with a validation split."""
    return Recipe(name, description, config, build, train_on_digits, training, evaluate_grey_model,
                  test_log_likelihoods=grey_test_log_likelihoods)


def _diffusion_recipe(name: str, description: str, config: DiffusionConfig, training: Training) -> Recipe:
    """Scored on its stored samples; the unconditional one also by its bound on the 8-bit digits."""
    return Recipe(name, description, config, DiffusionModel, train_on_digits, training,
                  evaluate_diffusion, draw=draw_diffusion_digits, stored_samples=True,
                  metric_from_samples=True, scored_by_classifier=True,
                  test_log_likelihoods=None if config.num_classes else diffusion_test_bounds)


def _gan_recipe(name: str, description: str, config: DCGANConfig, training: Training, **more) -> Recipe:
    return Recipe(name, description, config, DCGAN, train_dcgan, training, evaluate_gan_grey,
                  scored_by_classifier=True, **more)


PIXEL_TRAINING = dict(batch_size=64, dynamic_binarization=True)
GREY_TRAINING = dict(epochs=36, batch_size=64, lr=1e-3, schedule="cosine", ema=0.999, hold_out=1000,
                     options=(("grad_clip", 100.0),))
DIFFUSION_TRAINING = dict(epochs=60, batch_size=32, lr=5e-4, schedule="cosine", ema=0.9995)

RECIPES: dict[str, Recipe] = {r.name: r for r in [
    _autoencoder_recipe(2), _autoencoder_recipe(8), _autoencoder_recipe(32),
    _vae_recipe("vae", 16, 50), _vae_recipe("vae_2d", 2, 30),
    _pixel_recipe("pixelcnn", "PixelCNN: masked convolutions, residual blocks",
                  PixelCNNConfig(), PixelCNN,
                  Training(epochs=24, schedule="cosine", ema=0.998, **PIXEL_TRAINING)),
    _pixel_recipe("gated_pixelcnn", "gated PixelCNN: vertical and horizontal stacks",
                  GatedPixelCNNConfig(), GatedPixelCNN,
                  Training(epochs=24, schedule="cosine", ema=0.998, **PIXEL_TRAINING)),
    _pixel_recipe("row_lstm", "PixelRNN: a Row LSTM",
                  RowLSTMConfig(), RowLSTM,
                  Training(epochs=35, ema=0.998, **{**PIXEL_TRAINING, "batch_size": 32})),
    _diffusion_recipe("diffusion", "diffusion model (DDPM, cosine schedule, small U-Net)",
                      DiffusionConfig(), Training(**DIFFUSION_TRAINING)),
    _diffusion_recipe("cdiffusion", "class-conditional diffusion model, classifier-free guidance",
                      DiffusionConfig(num_classes=10), Training(with_labels=True, **DIFFUSION_TRAINING)),
    Recipe("classifier", "digit classifier for the Fréchet classifier distance", ClassifierConfig(),
           DigitClassifier, train_on_digits, Training(epochs=8, with_labels=True), evaluate_classifier),
    _gan_recipe("dcgan", "DCGAN (unconditional)", DCGANConfig(),
                Training(epochs=160, batch_size=64, lr=2e-4,
                         options=(("decay_after", 0.5), ("r1_gamma", DCGAN_R1_GAMMA)))),
    _grey_recipe("flow", "normalizing flow (multi-scale RealNVP) of the 8-bit digits", FlowConfig(), RealNVP,
                 Training(**GREY_TRAINING)),
    _grey_recipe("grey_pixelcnn", "PixelCNN with a 256-way softmax per pixel, of the 8-bit digits",
                 GreyPixelCNNConfig(), GreyPixelCNN, Training(**{**GREY_TRAINING, "epochs": 24})),
    _gan_recipe("cgan", "class-conditional DCGAN", DCGANConfig(num_classes=10, d_channels=32),
                Training(epochs=40, batch_size=64, lr=2e-4), draw=draw_digits_in_turn),
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
