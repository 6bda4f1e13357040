"""Nothing silently wrong (issue 32): every model entry point checks what it is given, and an
exercise check refuses what would fail later. Each refusal names what was given and what to pass."""

import dataclasses
import time

import pytest
import torch
from torch.nn import functional as F

import lecturelib.exercises as exercises
from lecturelib.exercises import pixel_models as pixel_exercises


# ---------------------------------------------------------------------------------------------
# Exercise checks: a numpy answer, an endless loop
# ---------------------------------------------------------------------------------------------

def _log_prob(logits, x):
    return (x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).flatten(1).sum(1)


def test_an_exercise_refuses_a_numpy_answer_that_would_fail_when_put_to_work():
    assert pixel_exercises.chain_rule_log_prob.verdict(_log_prob, use=False).passed
    verdict = pixel_exercises.chain_rule_log_prob.verdict(lambda logits, x: _log_prob(logits, x).numpy(),
                                                          use=False)
    assert verdict.status == "wrong"
    assert "expected a torch.Tensor, got a numpy ndarray: return torch.as_tensor(...)" in verdict.message


def test_an_exercise_check_stops_an_endless_loop_with_a_verdict(monkeypatch):
    monkeypatch.setattr(exercises, "TIME_LIMIT", 0.5)
    exercise = pixel_exercises.rows_above
    if hasattr(exercise, "time_limit"):  # a limit of its own (an assignment that trains gets more)
        exercise = dataclasses.replace(exercise, time_limit=0.5)

    def endless(n):
        while True:
            try:
                pass
            except Exception:  # an answer that swallows exceptions does not swallow the time limit
                pass

    verdict = exercise.verdict(endless)
    assert verdict.status == "wrong" and "no verdict after 0.5 s" in verdict.message
    assert "so the check stopped: does your code loop without end?" in verdict.message
    time.sleep(1.0)  # the alarm is off again: nothing fires after the check
    monkeypatch.undo()
    assert pixel_exercises.rows_above.verdict(lambda n: 7 // 2 + n, use=False).passed


# ---------------------------------------------------------------------------------------------
# Images: shape, dtype, range, emptiness, NaN, each refused with the fix named
# ---------------------------------------------------------------------------------------------

from lecturelib.models.autoencoder import ConvAutoencoder, ConvAutoencoderConfig, LinearAutoencoder  # noqa: E402
from lecturelib.models.baselines import IndependentPixels  # noqa: E402
from lecturelib.models.checks import check_images  # noqa: E402
from lecturelib.models.diffusion import DiffusionConfig, DiffusionModel  # noqa: E402
from lecturelib.models.gan import DCGAN, DCGANConfig  # noqa: E402
from lecturelib.models.likelihood import bernoulli_nll  # noqa: E402
from lecturelib.models.pixelcnn import PixelCNN, PixelCNNConfig  # noqa: E402
from lecturelib.models.vae import VAE, VAEConfig  # noqa: E402

DIGITS = torch.bernoulli(torch.full((3, 1, 28, 28), 0.3), generator=torch.Generator().manual_seed(0))
WITH_NAN = DIGITS.clone()
WITH_NAN[0, 0, 5, 5] = float("nan")

MISSHAPED = [  # (input, the error's type, what its message must say)
    (DIGITS[:, 0], ValueError, r"shape \(B, 1, 28, 28\), got \(3, 28, 28\): no channel dimension; pass x.unsqueeze\(1\)"),
    (torch.zeros(2, 1, 32, 32), ValueError, r"got \(2, 1, 32, 32\): the model is built for 28x28 digits; crop or resize"),
    (torch.zeros(784), ValueError, r"got \(784,\): pass a batch, e.g. x.view\(1, 1, 28, 28\)"),
    (torch.zeros(5, 784), ValueError, r"got \(5, 784\): flat images; pass x.view\(-1, 1, 28, 28\)"),
    (torch.zeros(2, 3, 28, 28), ValueError, r"got \(2, 3, 28, 28\): the digits are grey, one channel"),
    (DIGITS.double(), TypeError, r"expects float32 pixels, got torch.float64: convert with x.float\(\)"),
    ((DIGITS * 255).to(torch.uint8), TypeError, r"got torch.uint8: x.float\(\) / 255 turns bytes 0..255 into grey"),
    (DIGITS[:0], ValueError, r"got an empty batch, shape \(0, 1, 28, 28\): pass at least one image"),
    (WITH_NAN, ValueError, r"got 1 NaN or infinite pixels of 2352"),
    (DIGITS.numpy(), TypeError, r"expects images as a torch.Tensor of shape \(B, 1, 28, 28\), got ndarray"),
]

torch.manual_seed(0)
ENTRY_POINTS = {  # every model entry point that takes images: name -> call
    "VAE.loss": VAE(VAEConfig(latent_dim=2, channels=4)).loss,
    "VAE.encode": VAE(VAEConfig(latent_dim=2, channels=4)).encode,
    "VAE.log_weights": lambda x: VAE(VAEConfig(latent_dim=2, channels=4)).iwae_log_likelihood(x, 2),
    "PixelCNN.log_prob": PixelCNN(PixelCNNConfig(channels=4, num_blocks=1, head_channels=4)).log_prob,
    "PixelCNN.log_prob ": PixelCNN(PixelCNNConfig(channels=4, num_blocks=1, head_channels=4)).loss,
    "ConvAutoencoder.loss": ConvAutoencoder(ConvAutoencoderConfig(latent_dim=2, channels=4)).loss,
    "ConvAutoencoder.encode": ConvAutoencoder(ConvAutoencoderConfig(latent_dim=2, channels=4)).encode,
    "DiffusionModel.loss": DiffusionModel(DiffusionConfig(channels=8, num_steps=20)).loss,
    "IndependentPixels.log_prob": IndependentPixels(DIGITS).log_prob,
}


@pytest.mark.parametrize("x, error, message", MISSHAPED, ids=[m[:30] for _, _, m in MISSHAPED])
@pytest.mark.parametrize("where", list(ENTRY_POINTS))
def test_every_entry_point_refuses_a_misshaped_mistyped_empty_or_nan_batch(where, x, error, message):
    with pytest.raises(error, match=f"^{where.strip()}.*{message}"):
        ENTRY_POINTS[where](x)


@pytest.mark.parametrize("where, x, message", [
    ("VAE.loss", torch.rand(3, 1, 28, 28), "neither 0 nor 1 .* Binarize first"),
    ("PixelCNN.log_prob", torch.full((3, 1, 28, 28), 0.5), "neither 0 nor 1 .*data.binarize_dynamic"),
    ("IndependentPixels.log_prob", torch.full((3, 1, 28, 28), 0.5), "neither 0 nor 1"),
    ("VAE.encode", DIGITS * 255, r"expects pixels in \[0, 1\], got values from 0 to 255: bytes 0..255\? divide by 255"),
    ("ConvAutoencoder.loss", DIGITS * 2 - 1, r"in \[0, 1\], got values from -1 to 1: images in \[-1, 1\]\? pass \(x \+ 1\) / 2"),
    ("DiffusionModel.loss", DIGITS * 255, r"in \[0, 1\], got values from 0 to 255: bytes 0..255\? divide by 255"),
])
def test_values_outside_the_models_range_are_refused(where, x, message):
    with pytest.raises(ValueError, match=f"^{where}.*{message}"):
        ENTRY_POINTS[where](x)


def test_the_right_input_still_goes_through():
    grey = torch.rand(3, 1, 28, 28)
    for where, call in ENTRY_POINTS.items():
        call(DIGITS)  # binarized digits suit every model
    for where in ("VAE.encode", "ConvAutoencoder.loss", "DiffusionModel.loss"):
        ENTRY_POINTS[where](grey)
    check_images(DIGITS * 2 - 1, "G's scale", "signed")
    with pytest.raises(ValueError, match=r"in \[-1, 1\], got values from 0 to 255: bytes 0..255\? divide by 255, then x \* 2 - 1"):
        check_images(DIGITS * 255, "D", "signed")


def test_nan_pixels_are_called_nan_not_grey():
    with pytest.raises(ValueError, match="bernoulli_nll got 1 NaN or infinite pixels"):
        bernoulli_nll(torch.zeros(3, 1, 28, 28), WITH_NAN)


def test_the_binary_check_runs_once_per_log_prob(monkeypatch):
    """A model's entry point looks for grey pixels once, naming itself; the likelihood it calls
    does not look again. Called alone, the likelihood checks them itself."""
    from lecturelib.models import checks, likelihood

    calls, require_binary = [], checks.require_binary

    def counted(x, where="a Bernoulli likelihood"):
        calls.append(where)
        return require_binary(x, where)

    monkeypatch.setattr(checks, "require_binary", counted)  # check_images calls it from there
    monkeypatch.setattr(likelihood, "require_binary", counted)
    models = {"PixelCNN.log_prob": PixelCNN(PixelCNNConfig(channels=4, num_blocks=1, head_channels=4)).log_prob,
              "IndependentPixels.log_prob": IndependentPixels(DIGITS).log_prob,
              "VAE.log_weights": lambda x: VAE(VAEConfig(latent_dim=2, channels=4)).log_weights(x, k=3)}
    for where, log_prob in models.items():
        calls.clear()
        log_prob(DIGITS)
        assert calls == [where]
    calls.clear()
    bernoulli_nll(torch.zeros(3, 1, 28, 28), DIGITS)
    assert calls == ["bernoulli_nll"]


def test_the_linear_autoencoder_takes_vectors_of_its_size():
    model = LinearAutoencoder()
    assert model.loss(torch.rand(4, 784)).shape == () and model(torch.rand(4, 1, 28, 28)).shape == (4, 1, 28, 28)
    with pytest.raises(ValueError, match=r"LinearAutoencoder expects a non-empty batch of 784 numbers per example.*got \(3, 10\)"):
        model.loss(torch.zeros(3, 10))
    with pytest.raises(TypeError, match="float32 numbers, got torch.float64"):
        model.loss(torch.zeros(3, 784, dtype=torch.float64))


def test_the_pixel_sampler_checks_what_it_completes_and_how_many():
    model = PixelCNN(PixelCNNConfig(channels=4, num_blocks=1, head_channels=4))
    with pytest.raises(ValueError, match=r"sample\(\) needs n >= 1, the number of digits to draw; or pass `given`"):
        model.sample(0)
    with pytest.raises(ValueError, match=r"sample\(\) needs n >= 1.*got 2.5"):
        model.sample(2.5)
    with pytest.raises(ValueError, match=r"sample\(given=...\) expects images of shape \(B, 1, H, W\), got \(2, 5, 5\)"):
        model.sample(given=torch.zeros(2, 5, 5))
    assert model.sample(given=torch.zeros(1, 1, 5, 5), num_given=3).shape == (1, 1, 5, 5)  # any size


def test_samplers_refuse_a_count_that_is_not_a_whole_number_above_zero():
    with pytest.raises(ValueError, match=r"VAE.sample needs n >= 1, the number of digits to draw \(a whole number\); got 0"):
        VAE(VAEConfig(latent_dim=2, channels=4)).sample(0)
    with pytest.raises(ValueError, match=r"DCGAN.sample needs n >= 1.*got -3"):
        DCGAN(DCGANConfig(channels=4, d_channels=4)).sample(-3)
    with pytest.raises(ValueError, match=r"IndependentPixels.sample needs n >= 1.*got True"):
        IndependentPixels(DIGITS).sample(True)
    with pytest.raises(ValueError, match=r"DiffusionModel.sample needs n >= 1.*got 0"):
        DiffusionModel(DiffusionConfig(channels=8, num_steps=20)).sample(0, steps=2)


def test_decoders_refuse_codes_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"VAE.decode expects codes z of shape \(B, 2\), one row of 2 numbers per digit, got \(4, 3\)"):
        VAE(VAEConfig(latent_dim=2, channels=4)).decode(torch.zeros(4, 3))
    with pytest.raises(TypeError, match="ConvAutoencoder.decode expects float32 codes, got torch.float64"):
        ConvAutoencoder(ConvAutoencoderConfig(latent_dim=2, channels=4)).decode(torch.zeros(4, 2, dtype=torch.float64))


# ---------------------------------------------------------------------------------------------
# GANs: noise of the wrong size, labels of the wrong kind
# ---------------------------------------------------------------------------------------------

def test_dcgan_refuses_noise_with_another_number_of_rows():
    gan = DCGAN(DCGANConfig(channels=4, d_channels=4))
    with pytest.raises(ValueError, match=r"DCGAN.sample expects codes z of shape \(4, 64\).*got \(7, 64\): pass 4 rows, or n = len\(z\)"):
        gan.sample(4, z=torch.randn(7, 64))
    with pytest.raises(ValueError, match=r"got \(4, 10\)"):
        gan.sample(4, z=torch.randn(4, 10))
    assert gan.sample(4, z=torch.randn(4, 64)).shape == (4, 1, 28, 28)


@pytest.mark.parametrize("labels, error, message", [
    ([1, 2, 3], TypeError, r"labels must be an integer tensor, got list: pass labels=, 3 of them in 0..9.*torch.tensor"),
    (torch.tensor([1.0, 2.0, 3.0]), TypeError, r"labels must be whole numbers \(torch.long\), got torch.float32: pass labels.long\(\)"),
    (torch.tensor([1, 2, 10]), ValueError, r"labels must be classes 0..9, got 1..10$"),
    (torch.tensor([-1, 2, 3]), ValueError, r"labels must be classes 0..9, got -1..3"),
    (torch.arange(4), ValueError, r"expected 3 labels, shape \(3,\), one per digit; got shape \(4,\)"),
    (torch.arange(3)[:, None], ValueError, r"expected 3 labels, shape \(3,\), one per digit; got shape \(3, 1\)"),
])
def test_the_conditional_gan_refuses_labels_it_cannot_use(labels, error, message):
    with pytest.raises(error, match=f"^DCGAN.sample: {message}"):
        DCGAN(DCGANConfig(channels=4, d_channels=4, num_classes=10)).sample(3, labels=labels)


# ---------------------------------------------------------------------------------------------
# Diffusion: the "no label" token, guidance, steps
# ---------------------------------------------------------------------------------------------

torch.manual_seed(0)
CONDITIONAL = DiffusionModel(DiffusionConfig(channels=8, num_steps=20, num_classes=10)).eval()
UNCONDITIONAL = DiffusionModel(DiffusionConfig(channels=8, num_steps=20)).eval()


def test_the_conditional_diffusion_model_refuses_its_no_label_token_as_a_class():
    token = r"10 is the model's 'no label' token, not a class: for digits of any class pass labels=None"
    with pytest.raises(ValueError, match=rf"^DiffusionModel.sample: labels must be classes 0..9, got 3..10; {token}"):
        CONDITIONAL.sample(2, steps=2, labels=torch.tensor([3, 10]))
    with pytest.raises(ValueError, match=rf"^DiffusionModel.loss: labels must be classes 0..9, got 0..10; {token}"):
        CONDITIONAL.loss(torch.rand(2, 1, 28, 28), torch.tensor([0, 10]))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        CONDITIONAL.loss(torch.rand(2, 1, 28, 28), torch.arange(3))
    with pytest.raises(TypeError, match="got list"):
        CONDITIONAL.sample(2, steps=2, labels=[3, 4])
    assert CONDITIONAL.sample(2, steps=2).shape == (2, 1, 28, 28)  # no labels: digits of any class


@pytest.mark.parametrize("guidance", [-1.0, float("nan"), float("inf"), "1", True])
def test_guidance_must_be_a_finite_number_at_least_zero(guidance):
    with pytest.raises(ValueError, match=r"^DiffusionModel.sample: guidance w must be a finite number >= 0"):
        CONDITIONAL.sample(2, steps=2, labels=torch.arange(2), guidance=guidance)


def test_guidance_given_to_the_unconditional_model_is_refused_not_ignored():
    with pytest.raises(ValueError, match="this diffusion model is unconditional: guidance steers towards labels"):
        UNCONDITIONAL.sample(2, steps=2, guidance=1.0)
    with pytest.raises(ValueError, match="this diffusion model is unconditional: it takes no labels"):
        UNCONDITIONAL.loss(torch.rand(2, 1, 28, 28), torch.arange(2))
    with pytest.raises(ValueError, match="guidance needs labels"):
        CONDITIONAL.sample(2, steps=2, guidance=1.0)


@pytest.mark.parametrize("steps", [0, 21, 2.5, "5", True])
def test_sampler_steps_are_whole_numbers_in_range(steps):
    with pytest.raises(ValueError, match=rf"^DiffusionModel.sample: steps must be in 1..20, a whole number .*got {steps!r}"):
        UNCONDITIONAL.sample(2, steps=steps)
