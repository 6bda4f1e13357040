"""The recap table (lecturelib.recap), the two baselines, and the stored samples."""

import copy

import pytest
import torch

from lecturelib import checkpoints, recap, recipes
from lecturelib.data import load_binarized_test, load_digits
from lecturelib.models.baselines import IndependentPixels, PCAMixture
from lecturelib.recipes import RECIPES, load_pretrained


def test_pack_bits_round_trips():
    x = torch.bernoulli(torch.full((5, 1, 28, 28), 0.3), generator=torch.Generator().manual_seed(0))
    packed = checkpoints.pack_bits(x)
    assert packed.shape == (5, 98) and packed.dtype == torch.uint8
    assert torch.equal(checkpoints.unpack_bits(packed), x)
    assert checkpoints.pack_bits(torch.tensor([1., 0, 0, 0, 0, 0, 0, 1]).reshape(1, 8)).item() == 129


def test_every_contender_has_a_model_and_a_likelihood_where_it_claims_one():
    for contender in recap.CONTENDERS:
        assert contender.source in RECIPES or contender.source in recap.BASELINES
        assert contender.likelihood.split(",")[0] in ("exact", "bound", "estimate", "none")
        if contender.likelihood == "none" or contender.likelihood.endswith("not computed"):
            assert contender.nll is None and contender.source in RECIPES
        elif contender.source in RECIPES:
            assert contender.nll and RECIPES[contender.source].test_log_likelihoods is not None
    assert set(recap.STORED) <= {c.source for c in recap.CONTENDERS}  # every stored sample is shown


def test_independent_pixels_is_a_product_of_bernoullis():
    x_train, _ = load_digits("train")
    model = IndependentPixels(x_train)
    x = load_binarized_test().x[:50]
    expected = torch.distributions.Bernoulli(probs=model.probs).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(model.log_prob(x), expected)
    samples = model.sample(1000, generator=torch.Generator().manual_seed(0))
    assert set(samples.unique().tolist()) <= {0.0, 1.0}
    assert (samples.mean(0) - model.probs).abs().max() < 0.06  # the pixel means come back
    assert recap.num_parameters(model) == 784


def test_independent_pixels_is_the_maximum_likelihood_fit():
    """Moving any p_i away from the clipped mean grey level can only lower the expected
    log-likelihood of the training digits (dynamic binarization: x_i ~ Bernoulli(grey_i))."""
    x_train, _ = load_digits("train")
    model = IndependentPixels(x_train[:500])
    grey = x_train[:500]

    def expected_log_likelihood(logits):
        return -torch.nn.functional.binary_cross_entropy_with_logits(logits.expand_as(grey), grey)

    best = expected_log_likelihood(model.logits)
    for shift in (-0.3, 0.3):
        assert expected_log_likelihood(model.logits + shift) < best


def test_pca_mixture_samples_digits_and_counts_its_numbers():
    x_train, _ = load_digits("train")
    model = PCAMixture(x_train[:2000], num_codes=5, num_components=3)
    samples = model.sample(7, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (7, 1, 28, 28)
    assert not torch.equal(samples[0], samples[1]), "each sample its own code"
    # 784 mean + 5 x 784 directions + 2 weights + 3 x 5 means + 3 x 15 covariance entries
    assert model.num_parameters() == 784 + 5 * 784 + 2 + 15 + 45


def test_draw_chunks_starts_with_the_seed_0_draw():
    x_train, _ = load_digits("train")
    model = IndependentPixels(x_train)
    chunks = recap.draw_chunks("independent_pixels", model, 150, chunk=64)
    assert chunks.shape == (150, 1, 28, 28)
    assert torch.equal(chunks[:64], recap.draw("independent_pixels", model, 64, torch.Generator().manual_seed(0)))
    assert torch.equal(chunks[128:], recap.draw("independent_pixels", model, 22, torch.Generator().manual_seed(2)))


def test_each_model_draws_digits_as_its_recipe_says():
    vae_digits = recap.draw("vae", load_pretrained("vae"), 8, torch.Generator().manual_seed(0))
    assert set(vae_digits.unique().tolist()) <= {0.0, 1.0}, "the VAE's digits are coins, as its likelihood scores them"
    cgan = load_pretrained("cgan")
    torch.testing.assert_close(recap.draw("cgan", cgan, 12, torch.Generator().manual_seed(0)),
                               cgan.sample(12, generator=torch.Generator().manual_seed(0), labels=torch.arange(12) % 10))
    guided = load_pretrained("cdiffusion")  # asked for 0, 1, 2, ... in turn, DPM-Solver++, guided
    torch.testing.assert_close(recap.draw("cdiffusion", guided, 3, torch.Generator().manual_seed(0)),
                               guided.sample(3, steps=recipes.GUIDED_STEPS, method="dpm", labels=torch.arange(3),
                                             guidance=recipes.GUIDANCE, generator=torch.Generator().manual_seed(0)))
    unguided = load_pretrained("diffusion")  # DPM-Solver++ steps
    torch.testing.assert_close(recap.draw("diffusion", unguided, 3, torch.Generator().manual_seed(0)),
                               unguided.sample(3, steps=recipes.DIFFUSION_STEPS, method="dpm",
                                               generator=torch.Generator().manual_seed(0)))


def test_conditional_labels_restart_with_every_chunk():
    """The conditional models draw 0, 1, ..., 9, 0, ... within each seeded chunk of 64: the
    labels their stored samples are scored against must restart with every chunk too."""
    labels = recipes.labels_in_turn(130)
    assert labels[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert labels[63].item() == 3 and labels[64].item() == 0 and labels[128:].tolist() == [0, 1]


def test_coins_leave_binary_digits_alone_and_binarize_grey_ones():
    binary = torch.bernoulli(torch.full((4, 1, 28, 28), 0.5), generator=torch.Generator().manual_seed(0))
    assert torch.equal(recap.as_coins(binary, seed=1), binary)
    grey = torch.full((2000, 1, 28, 28), 0.25)
    coins = recap.as_coins(grey, seed=1)
    assert set(coins.unique().tolist()) == {0.0, 1.0} and abs(coins.mean().item() - 0.25) < 0.01


def test_the_first_chunk_check_refuses_digits_that_are_not_the_stored_ones():
    """Notebook 08 draws each slow sampler's first 64 digits live and checks the stored ones begin
    with them (recap.all_samples, under nbval in make test); here, that the check can fail."""
    stored = checkpoints.load_samples("row_lstm")
    assert stored.shape == (recap.FCD_SAMPLES, 1, 28, 28)
    first = stored[:recap.SAMPLE_CHUNK].clone()
    first[5, 0, 14, 14] = 1 - first[5, 0, 14, 14]  # one pixel of one digit
    with pytest.raises(checkpoints.SamplesError, match=r"do not start with .* \(1 of 64 differ\)"):
        recipes.check_first_chunk("row_lstm", first)


@pytest.mark.parametrize("source", recap.STORED)
def test_every_stored_sample_file_matches_its_shipped_checkpoint(source):
    samples = checkpoints.load_samples(source)  # refuses a file drawn from another checkpoint
    assert samples.shape == (recap.FCD_SAMPLES, 1, 28, 28)
    assert 0.05 < samples.mean() < 0.3  # digits: mostly background, some ink


def _as_if_recorded(monkeypatch, path):
    """As if the manifest had recorded `path`'s sha256 as the file is now: the checks that follow
    the sha256 (readable, bound to the checkpoint) are reached."""
    real = checkpoints.read_manifest

    def read_manifest(root=None, missing_ok=False):
        entries = copy.deepcopy(real(root, missing_ok))
        entries[path.name.split(".")[0]]["stored_sha256"] = {path.name: checkpoints.sha256_file(path)}
        return entries

    monkeypatch.setattr(checkpoints, "read_manifest", read_manifest)


def test_stored_samples_fail_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "samples_path", lambda name: tmp_path / f"{name}.pt")
    with pytest.raises(checkpoints.SamplesError, match="--draw-samples pixelcnn"):
        checkpoints.load_samples("pixelcnn")
    (tmp_path / "pixelcnn.pt").write_bytes(b"not a torch file")
    with pytest.raises(checkpoints.SamplesError, match="does not match its manifest entry"):
        checkpoints.load_samples("pixelcnn")
    _as_if_recorded(monkeypatch, tmp_path / "pixelcnn.pt")
    with pytest.raises(checkpoints.SamplesError, match="could not be read"):
        checkpoints.load_samples("pixelcnn")
    torch.save({"bits": torch.zeros(1, 98, dtype=torch.uint8), "checkpoint_sha256": "0" * 64},
               tmp_path / "pixelcnn.pt")
    with pytest.raises(checkpoints.SamplesError, match="another version of checkpoint"):
        checkpoints.load_samples("pixelcnn")
    with pytest.raises(ValueError, match="0, 1"):
        checkpoints.store_samples("pixelcnn", torch.full((1, 1, 28, 28), 0.5), chunk=64, seconds=0.0)


def test_stored_log_likelihoods_fail_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "log_likelihoods_path", lambda name: tmp_path / f"{name}.loglik.pt")
    with pytest.raises(checkpoints.SamplesError, match="lecturelib.train vae --remeasure"):
        checkpoints.load_log_likelihoods("vae")
    (tmp_path / "vae.loglik.pt").write_bytes(b"not a torch file")
    with pytest.raises(checkpoints.SamplesError, match="does not match its manifest entry"):
        checkpoints.load_log_likelihoods("vae")
    _as_if_recorded(monkeypatch, tmp_path / "vae.loglik.pt")
    with pytest.raises(checkpoints.SamplesError, match="could not be read"):
        checkpoints.load_log_likelihoods("vae")
    torch.save({"values": {"elbo": torch.zeros(3)}, "checkpoint_sha256": "0" * 64}, tmp_path / "vae.loglik.pt")
    with pytest.raises(checkpoints.SamplesError, match="another version of checkpoint"):
        checkpoints.load_log_likelihoods("vae")


def _row(label, nll=None):
    return recap.Row(label, "03_pixelrnn_pixelcnn", "exact" if nll else "none", nll,
                     None if nll is None else nll / 543.4, 12.0, 0.5, 4.0, 0.2, 0.45, 0.5, 12345, None)


def test_tables_show_every_row_and_dashes_where_a_column_does_not_apply():
    rows = [_row("PixelCNN", 93.37), _row("DCGAN")]
    text = recap.format_table(rows).splitlines()
    assert text[0].startswith("model") and text[-1].startswith("FCD floor")
    assert "93.37" in text[2] and "12.0 ± 0.5" in text[2] and "3.0" in text[2] and "45%" in text[2] and "12,345" in text[2]
    assert text[3].count("—") == 3  # no NLL, no bits/dim, no training time
    html = recap.table_html(rows)
    assert html.count("<tr>") == 3 and 'href="03_pixelrnn_pixelcnn.ipynb"' in html


def test_sample_captions_keep_short_times_short():  # the grid's captions sit side by side
    assert [recap._duration(s) for s in (4.056, 0.1, 0.015, 0.00062)] == ["4.1 s", "0.1 s", "15 ms", "0.62 ms"]


def test_cli_refuses_an_unknown_model(capsys):
    from lecturelib.__main__ import main

    with pytest.raises(SystemExit):
        main(["recap", "--draw-samples", "dcgan"])
    assert "invalid choice" in capsys.readouterr().err
