"""The recap table (lecturelib.evaluate): baselines, stored samples, formatting, the CLI."""

import pytest
import torch

from lecturelib import evaluate
from lecturelib.data import load_binarized_test, load_digits
from lecturelib.recipes import RECIPES, load_pretrained


def test_pack_bits_round_trips():
    x = torch.bernoulli(torch.full((5, 1, 28, 28), 0.3), generator=torch.Generator().manual_seed(0))
    packed = evaluate.pack_bits(x)
    assert packed.shape == (5, 98) and packed.dtype == torch.uint8
    assert torch.equal(evaluate.unpack_bits(packed), x)
    assert evaluate.pack_bits(torch.tensor([1., 0, 0, 0, 0, 0, 0, 1]).reshape(1, 8)).item() == 129


def test_every_contender_has_a_model_and_the_stored_ones_are_pixel_models():
    for contender in evaluate.CONTENDERS:
        assert contender.source in RECIPES or contender.source in ("pca_mixture", "independent_pixels")
        assert contender.likelihood.split(",")[0] in ("exact", "bound", "estimate", "none")
        assert (contender.likelihood == "none") == (contender.nll_key is None and contender.source in RECIPES)
    assert set(evaluate.STORED) <= {c.source for c in evaluate.CONTENDERS if c.likelihood == "exact"}


def test_independent_pixels_is_a_product_of_bernoullis():
    x_train, _ = load_digits("train")
    model = evaluate.IndependentPixels(x_train)
    x = load_binarized_test().x[:50]
    expected = torch.distributions.Bernoulli(probs=model.p).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(model.log_prob(x), expected)
    samples = model.sample(1000, generator=torch.Generator().manual_seed(0))
    assert set(samples.unique().tolist()) <= {0.0, 1.0}
    assert (samples.mean(0) - model.p).abs().max() < 0.06  # the pixel means come back
    assert evaluate.num_parameters(model) == 784


def test_pca_mixture_samples_digits_and_counts_its_numbers():
    x_train, _ = load_digits("train")
    model = evaluate.PCAMixture(x_train[:2000], num_codes=5, num_components=3)
    samples = model.sample(7, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (7, 1, 28, 28) and 0 <= samples.min() and samples.max() <= 1
    # 784 mean + 5 x 784 directions + 2 weights + 3 x 5 means + 3 x 15 covariance entries
    assert model.num_parameters() == 784 + 5 * 784 + 2 + 15 + 45


def test_draw_chunks_starts_with_the_seed_0_draw():
    x_train, _ = load_digits("train")
    model = evaluate.IndependentPixels(x_train)
    chunks = evaluate.draw_chunks(model, 150, chunk=64)
    assert chunks.shape == (150, 1, 28, 28)
    assert torch.equal(chunks[:64], evaluate.draw(model, 64, torch.Generator().manual_seed(0)))
    assert torch.equal(chunks[128:], evaluate.draw(model, 22, torch.Generator().manual_seed(2)))


def test_stored_row_lstm_samples_start_with_the_digits_drawn_now():
    model = load_pretrained("row_lstm")
    first = evaluate.draw(model, evaluate.SAMPLE_CHUNK, torch.Generator().manual_seed(0))
    evaluate.check_stored_samples("row_lstm", first)  # raises if not digit for digit
    assert evaluate.load_samples("row_lstm").shape == (evaluate.FCD_SAMPLES, 1, 28, 28)
    with pytest.raises(evaluate.SamplesError, match="do not start with"):
        evaluate.check_stored_samples("row_lstm", 1 - first)


@pytest.mark.parametrize("source", evaluate.STORED)
def test_every_stored_sample_file_matches_its_shipped_checkpoint(source):
    samples = evaluate.load_samples(source)  # refuses a file drawn from another checkpoint
    assert samples.shape == (evaluate.FCD_SAMPLES, 1, 28, 28)
    assert 0.05 < samples.mean() < 0.3  # digits: mostly background, some ink


def test_stored_samples_fail_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate, "samples_path", lambda source: tmp_path / f"{source}.pt")
    with pytest.raises(evaluate.SamplesError, match="--draw-samples pixelcnn"):
        evaluate.load_samples("pixelcnn")
    (tmp_path / "pixelcnn.pt").write_bytes(b"not a torch file")
    with pytest.raises(evaluate.SamplesError, match="could not be read"):
        evaluate.load_samples("pixelcnn")
    torch.save({"bits": torch.zeros(1, 98, dtype=torch.uint8), "checkpoint_sha256": "0" * 64},
               tmp_path / "pixelcnn.pt")
    with pytest.raises(evaluate.SamplesError, match="another version of checkpoint"):
        evaluate.load_samples("pixelcnn")


def _row(label, nll=None):
    return evaluate.Row(label, "03_pixelrnn_pixelcnn", "exact" if nll else "none", nll,
                        None if nll is None else nll / 543.4, 12.0, 4.0, 0.5, 12345, None)


def test_tables_show_every_row_and_dashes_where_a_column_does_not_apply():
    rows = [_row("PixelCNN", 93.37), _row("DCGAN")]
    text = evaluate.format_table(rows).splitlines()
    assert len(text) == 4 and text[0].startswith("model")
    assert "93.37" in text[2] and "12.00 (4.00)" in text[2] and "3.0" in text[2] and "12,345" in text[2]
    assert text[3].count("—") == 3  # no NLL, no bits/dim, no training time
    html = evaluate.table_html(rows)
    assert html.count("<tr>") == 3 and 'href="03_pixelrnn_pixelcnn.ipynb"' in html


def test_cli_refuses_an_unknown_model(capsys):
    with pytest.raises(SystemExit):
        evaluate.main(["--draw-samples", "dcgan"])
    assert "invalid choice" in capsys.readouterr().err
