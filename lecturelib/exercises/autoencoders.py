"""Exercises of notebook 02: the loss of a denoising autoencoder, an encoder/decoder pair of your
own, a nearest-neighbour classifier on learned codes, and where the PCA subspace is ill-defined."""

from __future__ import annotations

from typing import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from ..config import isolated_seed
from ..data import TensorLoader, few_labels, load_digits
from ..density import PCA
from ..models.autoencoder import ConvAutoencoder, ConvAutoencoderConfig, reconstruction_loss as reference_loss
from ..recipes import load_pretrained
from ..train import fit
from . import Build, Case, Exercise, NOT_ANSWERED, numeric_verdict, sizes

# ---------------------------------------------------------------------------------------------
# 02.1 · the loss of a denoising autoencoder
# ---------------------------------------------------------------------------------------------


def _tiny_pair(generator: torch.Generator, side: int, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    """A small random linear encoder/decoder for images of side x side."""
    encoder, decoder = nn.Sequential(nn.Flatten(), nn.Linear(side * side, latent_dim)), \
        nn.Sequential(nn.Linear(latent_dim, side * side), nn.Unflatten(1, (1, side, side)))
    for p in [*encoder.parameters(), *decoder.parameters()]:
        p.data = torch.randn(p.shape, generator=generator) * 0.3
    return encoder, decoder


def _denoising_cases(generator: torch.Generator) -> Iterator[Case]:
    for b, side, d in ((sizes(generator, 3, 9), 28, 8), (sizes(generator, 10, 30), 6, 2), (1, 4, 3)):
        encoder, decoder = _tiny_pair(generator, side, d)
        x = torch.rand(b, 1, side, side, generator=generator)
        keep = (torch.rand(b, 1, side, side, generator=generator) > 0.3).float()
        yield Case(f"B = {b} images of {side}x{side}, code size {d}", (encoder, decoder, x, keep))
    # a confident decoder, as a trained one is on the background: logits of size 20 to 200
    encoder, decoder = _tiny_pair(generator, 4, 3)
    with torch.no_grad():
        for p in decoder.parameters():
            p.mul_(200)
    x = torch.rand(5, 1, 4, 4, generator=generator)
    keep = (torch.rand(5, 1, 4, 4, generator=generator) > 0.3).float()
    yield Case("B = 5 images of 4x4, code size 3, a confident decoder", (encoder, decoder, x, keep))


def _denoising_loss(encoder: nn.Module, decoder: nn.Module, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    return reference_loss(decoder(encoder(x * keep)), x)


def _loss_through_probabilities(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The cross-entropy through sigmoid then log: inf or nan in float32 at confident logits."""
    p = torch.sigmoid(logits)
    return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1).mean()


def _use_denoising(answer) -> str:
    """One epoch with the student's loss, one with the plain loss (same start, same batches and
    the same dropped pixels), then both shown test digits with 30 % of their pixels dropped."""
    x_train, _ = load_digits("train")
    x_test, _ = load_digits("test")
    models = {}
    for name in ("denoising", "plain"):
        with isolated_seed(0) as g:  # the same initial weights, batches and dropped pixels for both
            model = ConvAutoencoder(ConvAutoencoderConfig(latent_dim=32))
            loader = TensorLoader(x_train, batch_size=128, shuffle=True, generator=g)
            keep = lambda x: (torch.rand(x.shape, generator=g) > 0.3).float()
            loss = (lambda m, b: answer(m.encoder, m.decoder, b[0], keep(b[0]))) if name == "denoising" else \
                (lambda m, b: reference_loss(m.decoder(m.encoder(b[0] * keep(b[0]))), b[0] * keep(b[0])))
            fit(model, loader, num_epochs=1, progress=False, loss_fn=loss)
        models[name] = model
    keep = (torch.rand(x_test.shape, generator=torch.Generator().manual_seed(1)) > 0.3).float()
    dropped = (keep == 0) & (x_test > 0.5)  # ink pixels the models were shown as 0
    with torch.no_grad():
        painted = {name: model(x_test * keep)[dropped].mean().item() for name, model in models.items()}
    return (f"test digits with 30 % of their pixels dropped: trained one epoch with your loss, the model "
            f"paints the dropped ink back at grey level {painted['denoising']:.2f} on average; trained "
            f"the same way to rebuild its corrupted input instead, at {painted['plain']:.2f}.")


denoising_loss = Exercise(
    name="02.1 · the loss of a denoising autoencoder",
    reference=_denoising_loss,
    cases=_denoising_cases,
    mistakes={
        "you compared the reconstruction with the corrupted input: a denoising autoencoder must "
        "rebuild the clean digit x from x * keep.":
            lambda e, d, x, keep: reference_loss(d(e(x * keep)), x * keep),
        "the input was not corrupted: feed x * keep to the encoder.":
            lambda e, d, x, keep: reference_loss(d(e(x)), x),
        "averaged over the pixels: the loss of a digit is the sum over its pixels (then average "
        "over the batch).":
            lambda e, d, x, keep: F.binary_cross_entropy_with_logits(d(e(x * keep)), x),
        "you used the decoder's output as probabilities: it gives logits; use "
        "binary_cross_entropy_with_logits (or reconstruction_loss).":
            lambda e, d, x, keep: F.binary_cross_entropy(d(e(x * keep)).clamp(1e-7, 1 - 1e-7), x,
                                                         reduction="none").flatten(1).sum(1).mean(),
        "log(sigmoid(logits)) breaks at confident logits: in float32 1 - sigmoid(20) is 0, and its "
        "log -inf. Stay in logits: binary_cross_entropy_with_logits (or reconstruction_loss).":
            lambda e, d, x, keep: _loss_through_probabilities(d(e(x * keep)), x),
    },
    hint="which digit goes in, and which one the result is scored against? The loss of the first slides, "
         "summed over the pixels.",
    use=_use_denoising,
)

# ---------------------------------------------------------------------------------------------
# 02.2 · an encoder and a decoder of your own
# ---------------------------------------------------------------------------------------------


def _test_pair(make_pair, generator: torch.Generator) -> str | None:
    for latent_dim in (2, 8):
        pair = make_pair(latent_dim)
        if pair is None:
            return NOT_ANSWERED
        encoder, decoder = pair
        for batch in (3, sizes(generator, 5, 40)):
            x = torch.rand(batch, 1, 28, 28, generator=generator)
            z = encoder(x)
            if tuple(z.shape) != (batch, latent_dim):
                return (f"with latent_dim = {latent_dim}, the encoder maps {batch} digits to shape "
                        f"{tuple(z.shape)}; a bottleneck of ({batch}, {latent_dim}) was expected.")
            logits = decoder(z)
            if tuple(logits.shape) != (batch, 1, 28, 28):
                return (f"the decoder maps codes ({batch}, {latent_dim}) to shape {tuple(logits.shape)}; "
                        f"digits ({batch}, 1, 28, 28) were expected.")
        if logits.min() >= 0 and logits.max() <= 1:
            return ("the decoder's outputs all lie in [0, 1]: return logits (no sigmoid at the end); "
                    "the loss applies the sigmoid itself.")
        reference_loss(logits, x).backward()
        silent = [name for name, p in [*encoder.named_parameters(), *decoder.named_parameters()]
                  if p.grad is None or not p.grad.abs().sum() > 0]
        if silent:
            return f"no gradient reaches {silent[:3]}: is part of the network cut off from the loss?"
    return None


def _solution_pair(latent_dim: int) -> tuple[nn.Module, nn.Module]:
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, latent_dim))
    decoder = nn.Sequential(nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Unflatten(1, (1, 28, 28)))
    return encoder, decoder


@isolated_seed(0)  # the student's initial weights: the same on every run
def _use_pair(make_pair) -> str:
    x_train, _ = load_digits("train")
    x_test, _ = load_digits("test")
    encoder, decoder = make_pair(8)
    model = nn.ModuleDict({"encoder": encoder, "decoder": decoder})
    loader = TensorLoader(x_train, batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    fit(model, loader, num_epochs=2, progress=False,
        loss_fn=lambda m, batch: reference_loss(m["decoder"](m["encoder"](batch[0])), batch[0]))
    squared = lambda rebuilt: (rebuilt - x_test.flatten(1)).pow(2).sum(1).mean().item()
    pca = PCA.fit(x_train.flatten(1), 8)  # rebuilt digits clipped to [0, 1], as in notebook 02
    with torch.no_grad():
        yours = squared(torch.sigmoid(decoder(encoder(x_test))).flatten(1))
        shipped = squared(load_pretrained("autoencoder_z8")(x_test).flatten(1))
    return (f"trained for 2 epochs with an 8-number code, your pair rebuilds the test digits with a "
            f"squared error of {yours:.1f} per digit; PCA with 8 components: {squared(pca.reconstruct(pca.project(x_test.flatten(1))).clamp(0, 1)):.1f}; "
            f"the shipped convolutional autoencoder_z8: {shipped:.1f}.")


def _flat_encoder_only(latent_dim: int):
    encoder, decoder = _solution_pair(latent_dim)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 784)), decoder


def _sigmoid_decoder(latent_dim: int):
    encoder, decoder = _solution_pair(latent_dim)
    return encoder, nn.Sequential(decoder, nn.Sigmoid())


def _flat_decoder(latent_dim: int):
    encoder, _ = _solution_pair(latent_dim)
    return encoder, nn.Sequential(nn.Linear(latent_dim, 784))


encoder_decoder = Build(
    name="02.2 · an encoder and a decoder of your own",
    test=_test_pair,
    solution=_solution_pair,
    wrong={
        "a bottleneck of": _flat_encoder_only,
        "return logits (no sigmoid at the end)": _sigmoid_decoder,
        "digits (": _flat_decoder,
    },
    use=_use_pair,
)

# ---------------------------------------------------------------------------------------------
# 02.3 · a nearest-neighbour classifier
# ---------------------------------------------------------------------------------------------


def _nearest_cases(generator: torch.Generator) -> Iterator[Case]:
    for m, n, d in ((sizes(generator, 5, 30), 20, 8), (7, sizes(generator, 3, 12), 2), (40, 100, 32)):
        yield Case(f"{m} queries, {n} labelled points in {d}-D",
                   (torch.randn(m, d, generator=generator), torch.randn(n, d, generator=generator),
                    torch.randint(10, (n,), generator=generator)))


def _nearest_labels(queries: torch.Tensor, labelled: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return labels[torch.cdist(queries, labelled).argmin(1)]


def _use_nearest(answer) -> str:
    x_test, y_test = load_digits("test")
    x_few, y_few = few_labels(*load_digits("train"), per_class=10, seed=0)
    autoencoder = load_pretrained("autoencoder_z32")
    pixels = (answer(x_test.flatten(1), x_few.flatten(1), y_few) == y_test).float().mean()
    codes = (answer(autoencoder.encode(x_test), autoencoder.encode(x_few), y_few) == y_test).float().mean()
    return (f"with 100 labelled digits, 1-NN reads {pixels:.1%} of the test digits right on raw pixels "
            f"and {codes:.1%} on the autoencoder's 32-number codes.")


nearest_labels = Exercise(
    name="02.3 · one nearest neighbour",
    reference=_nearest_labels,
    cases=_nearest_cases,
    mistakes={
        "you took the farthest labelled point: the nearest is the argmin of the distances.":
            lambda q, p, y: y[torch.cdist(q, p).argmax(1)],
        "you returned the index of the nearest point: return its label, labels[index].":
            lambda q, p, y: torch.cdist(q, p).argmin(1),
    },
    hint="a table of distances, one row per query and one column per labelled point; each query takes "
         "the label of its row's closest point.",
    use=_use_nearest,
)

# ---------------------------------------------------------------------------------------------
# 02.4 · where is "the PCA subspace" ill-defined?
# ---------------------------------------------------------------------------------------------


def worst_code_size(answer, explained_variance: torch.Tensor) -> None:
    """The code size D in 2..12 whose eigenvalue ratio lambda_D / lambda_(D+1) is smallest."""
    ratios = {d: (explained_variance[d - 1] / explained_variance[d]).item() for d in range(2, 13)}
    expected = min(ratios, key=ratios.get)
    largest = max(ratios, key=ratios.get)
    print(numeric_verdict("02.4 · the worst code size", answer, expected, rtol=0, atol=0, mistakes={
        "that is the best-defined size (the largest ratio): we want the smallest.": largest,
        "off by one: eigenvalue D is explained_variance[D - 1] (Python counts from 0).": expected - 1,
    }, hint="one ratio per code size; mind that eigenvalue D (counted from 1) is not at index D").message)
