"""What notebook 08's table compares: the contenders (each a checkpoint or a baseline, the
notebook that builds it, what likelihood it gives), the family tree they sit in, and a `Row` of
the table."""

from __future__ import annotations

import dataclasses

from ..metrics import SpreadFCD
from ..models.baselines import IndependentPixels, PCAMixture


@dataclasses.dataclass(frozen=True)
class Contender:
    label: str
    source: str  # a checkpoint name, or a key of BASELINES
    notebook: str  # where the course builds it
    likelihood: str  # exact / bound / estimate / none
    nll: str | None = None  # which per-digit log-likelihood is its test NLL: exact / elbo / iwae100


CONTENDERS: tuple[Contender, ...] = (
    Contender("PixelRNN (Row LSTM)", "row_lstm", "03_pixelrnn_pixelcnn", "exact", "exact"),
    Contender("PixelCNN", "pixelcnn", "03_pixelrnn_pixelcnn", "exact", "exact"),
    Contender("gated PixelCNN", "gated_pixelcnn", "03_pixelrnn_pixelcnn", "exact", "exact"),
    Contender("VAE, ELBO", "vae", "04_variational_autoencoders", "bound", "elbo"),
    Contender("VAE, IWAE-100", "vae", "04_variational_autoencoders", "estimate", "iwae100"),
    Contender("DCGAN", "dcgan", "05_gans", "none"),
    Contender("conditional GAN", "cgan", "05_gans", "none"),
    Contender("diffusion, 25 steps", "diffusion", "06_diffusion_models", "bound, not computed"),
    Contender("diffusion, guided", "cdiffusion", "06_diffusion_models", "bound, not computed"),
    Contender("Gaussian mixture on 30 PCA codes", "pca_mixture", "01_unsupervised_learning", "exact, of the codes"),
    Contender("independent pixels", "independent_pixels", "00_getting_started", "exact", "exact"),
)

# The family tree of Goodfellow (2016, Fig. 9), as `plot.plot_tree` draws it; the boxes the
# course builds name the notebook that builds them and are coloured BUILT_COLOUR.
_FVBN = "fully visible\nbelief nets\nPixelRNN/CNN → 03\nlater: transformers"
_MIXTURE = "latent variable,\nsummed exactly\nGaussian mixture → 01"
_VARIATIONAL = "variational\nVAE → 04\ndiffusion → 06"
_FLOWS = "change of\nvariables\nnonlinear ICA\nRealNVP → 07"
_GAN = "direct\nGAN → 05"
TAXONOMY = ("maximum likelihood", [
    ("explicit density\n(evaluate p(x))", [
        ("tractable density", [_FVBN, _FLOWS, _MIXTURE]),
        ("approximate density", [_VARIATIONAL, "Markov chain\nBoltzmann\nmachine"]),
    ]),
    ("implicit density\n(sample only)", ["Markov chain\nGSN", _GAN]),
])
BUILT_COLOUR = "#cfe8cf"
BUILT = {box: BUILT_COLOUR for box in (_FVBN, _FLOWS, _MIXTURE, _VARIATIONAL, _GAN)}

LIKELIHOOD_KINDS = ("exact", "elbo", "iwae100")  # per-digit log p(x), or a bound / estimate of it

# The two baselines have no checkpoint: they are fitted to the training digits in a second.
BASELINES = {"pca_mixture": PCAMixture, "independent_pixels": IndependentPixels}


@dataclasses.dataclass
class Row:
    """One line of the table; None where a column does not apply."""

    label: str
    notebook: str
    likelihood: str
    test_nll: float | None
    bits_per_dim: float | None
    fcd: float
    fcd_spread: float
    fcd_floor: float
    fcd_floor_spread: float
    readable: float
    seconds_64: float
    parameters: int
    train_seconds: float | None

    @property
    def fcd_ratio(self) -> float:
        return self.fcd / self.fcd_floor

    @property
    def spread_fcd(self) -> SpreadFCD:
        return SpreadFCD(self.fcd, self.fcd_spread)


def sources() -> list[str]:
    """Every model of the table once, in the table's order."""
    return list(dict.fromkeys(c.source for c in CONTENDERS))
