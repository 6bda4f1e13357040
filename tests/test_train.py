"""fit(): learns, logs, calls back, stops, and fails clearly."""

from typing import NamedTuple

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from lecturelib.data import TensorLoader, load_digits
from lecturelib.train import Callback, evaluate, fit


def cross_entropy(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y)


def small_classifier():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


class Terms(NamedTuple):
    loss: torch.Tensor
    recon: torch.Tensor
    kl: torch.Tensor


class TinyAutoencoder(nn.Module):
    """A model with the course's convention: a .loss(x) method returning named terms."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(784, 8)
        self.decoder = nn.Linear(8, 784)

    def loss(self, x):
        z = self.encoder(x.flatten(1))
        recon = F.mse_loss(self.decoder(z), x.flatten(1))
        kl = 1e-3 * z.pow(2).mean()
        return Terms(recon + kl, recon, kl)


def test_overfits_one_batch():
    torch.manual_seed(0)
    x, y = load_digits("train")
    loader = TensorLoader(x[:32], y[:32], batch_size=32)
    model = small_classifier()
    history = fit(model, loader, num_epochs=150, lr=3e-3, loss_fn=cross_entropy, progress=False)
    assert history.steps["loss"][0] > 2.0  # chance level is ln 10 = 2.30
    assert history.steps["loss"][-1] < 0.01
    assert (model(x[:32]).argmax(1) == y[:32]).all()


def test_named_terms_are_logged_and_validation_runs():
    x, _ = load_digits("test")
    train, val = TensorLoader(x[:256], batch_size=64), TensorLoader(x[256:384], batch_size=64)
    history = fit(TinyAutoencoder(), train, num_epochs=3, val_loader=val, progress=False)
    assert set(history.steps) == {"loss", "recon", "kl"}
    assert len(history.steps["loss"]) == 12 and history.num_steps == 12
    assert set(history.epochs) == {"loss", "recon", "kl", "val_loss", "val_recon", "val_kl"}
    assert len(history.epochs["val_loss"]) == 3
    assert history.epochs["val_loss"][-1] < history.epochs["val_loss"][0]
    assert history.seconds > 0


class Recorder(Callback):
    def __init__(self, stop_at=None):
        self.events, self.stop_at = [], stop_at

    def on_fit_start(self, state):
        self.events.append("start")

    def on_step_end(self, state):
        self.events.append(f"step{state.step}")
        if state.step == self.stop_at:
            state.stop = True

    def on_epoch_end(self, state):
        self.events.append(f"epoch{state.epoch}")

    def on_fit_end(self, state):
        self.events.append("end")


def test_callbacks_fire_in_order_and_can_stop_training():
    x = torch.rand(8, 1, 28, 28)
    loader = TensorLoader(x, batch_size=4)
    recorder = Recorder()
    fit(TinyAutoencoder(), loader, num_epochs=2, callbacks=[recorder], progress=False)
    assert recorder.events == ["start", "step1", "step2", "epoch0", "step3", "step4", "epoch1", "end"]
    stopper = Recorder(stop_at=3)
    history = fit(TinyAutoencoder(), loader, num_epochs=5, callbacks=[stopper], progress=False)
    assert history.num_steps == 3 and stopper.events[-1] == "end"


def test_max_steps_stops_mid_epoch():
    loader = TensorLoader(torch.rand(40, 1, 28, 28), batch_size=4)
    assert fit(TinyAutoencoder(), loader, num_epochs=3, max_steps=5, progress=False).num_steps == 5


def test_seeded_runs_are_identical():
    def run():
        torch.manual_seed(0)
        x, y = load_digits("test")
        g = torch.Generator().manual_seed(0)
        loader = TensorLoader(x[:512], y[:512], batch_size=64, shuffle=True, generator=g)
        return fit(small_classifier(), loader, num_epochs=2, loss_fn=cross_entropy, progress=False)

    assert run().steps["loss"] == run().steps["loss"]


def test_evaluate_weights_by_batch_size_and_restores_mode():
    model = small_classifier()
    x, y = torch.rand(10, 1, 28, 28), torch.randint(0, 10, (10,))
    whole = evaluate(model, TensorLoader(x, y, batch_size=10), cross_entropy)["loss"]
    uneven = evaluate(model, TensorLoader(x, y, batch_size=4), cross_entropy)["loss"]
    assert whole == pytest.approx(uneven, rel=1e-5)
    assert model.training


def test_diverging_loss_raises_a_clear_error():
    loader = TensorLoader(torch.rand(8, 1, 28, 28), batch_size=4)

    def nan_loss(model, batch):
        return model.loss(batch[0]).loss * float("nan")

    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(TinyAutoencoder(), loader, loss_fn=nan_loss, progress=False)


def test_a_model_without_loss_needs_loss_fn():
    loader = TensorLoader(torch.rand(8, 1, 28, 28), batch_size=4)
    with pytest.raises(TypeError, match="loss_fn"):
        fit(small_classifier(), loader, progress=False)


def test_non_scalar_loss_is_rejected():
    loader = TensorLoader(torch.rand(8, 1, 28, 28), batch_size=4)
    with pytest.raises(TypeError, match="scalar"):
        fit(TinyAutoencoder(), loader, loss_fn=lambda m, b: m.encoder(b[0].flatten(1)), progress=False)


def test_bad_arguments_are_rejected():
    loader = TensorLoader(torch.rand(8, 1, 28, 28), batch_size=4)
    with pytest.raises(ValueError, match="num_epochs"):
        fit(TinyAutoencoder(), loader, num_epochs=0)
    with pytest.raises(ValueError, match="max_steps"):
        fit(TinyAutoencoder(), loader, max_steps=0)


# ---------------------------------------------------------------------------------------------
# Nothing silently wrong (issue 32): no batch, an empty batch, weights that are not numbers
# ---------------------------------------------------------------------------------------------

def test_an_empty_loader_is_refused_not_a_history_of_zero_steps():
    with pytest.raises(ValueError, match=r"fit: the loader gave no batch, so there is nothing to train on. "
                                         r"Check the data \(len\(x\) > 0\) and batch_size / drop_last"):
        fit(TinyAutoencoder(), TensorLoader(torch.zeros(0, 1, 28, 28), batch_size=4), progress=False)
    with pytest.raises(ValueError, match="the loader gave no batch"):  # drop_last with too few examples
        fit(TinyAutoencoder(), TensorLoader(torch.rand(3, 1, 28, 28), batch_size=4, drop_last=True), progress=False)


def test_an_iterator_used_up_after_one_epoch_is_named():
    batches = iter([(torch.rand(4, 1, 28, 28),)] * 2)
    with pytest.raises(ValueError, match=r"no batch in epoch 1, after batches in epoch 0: it is an iterator, "
                                         r"used up. Pass something that can be iterated again"):
        fit(TinyAutoencoder(), batches, num_epochs=2, progress=False)


def test_an_empty_batch_is_refused_before_its_nan_loss():
    with pytest.raises(ValueError, match=r"batch 2 of epoch 0 is empty, shape \(0, 1, 28, 28\): the mean loss "
                                         r"of no examples is nan"):
        fit(TinyAutoencoder(), [(torch.rand(4, 1, 28, 28),), (torch.zeros(0, 1, 28, 28),)], progress=False)
    with pytest.raises(ValueError, match=r"a batch of evaluate\(\)'s loader is empty"):
        evaluate(TinyAutoencoder(), [(torch.zeros(0, 1, 28, 28),)])


def test_weights_that_are_not_numbers_at_the_end_are_named_with_the_likely_cause():
    torch.manual_seed(0)
    loader = TensorLoader(torch.rand(8, 1, 28, 28), batch_size=4)
    model = TinyAutoencoder()
    # one step at a huge rate: the loss of that step was finite, the weights after it are not
    with pytest.raises(FloatingPointError, match=r"after 1 steps the weights of TinyAutoencoder are no longer "
                                                 r"numbers \(NaN or inf in encoder.weight.*\): the learning rate "
                                                 r"\(lr=1e\+38\) is probably too high.*lower it, or set grad_clip"):
        fit(model, loader, max_steps=1, optimizer=torch.optim.SGD(model.parameters(), lr=1e38), progress=False,
            loss_fn=lambda m, b: m.loss(b[0]).loss * 1e10)


def test_a_recipe_holds_out_its_last_digits_and_scores_them_every_epoch(tmp_path):
    from lecturelib.checkpoints import read_manifest, save_checkpoint
    from lecturelib.recipes import Training, train_on_digits

    x = load_digits("train").x[:300]
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 784))
    model.loss = lambda batch: F.binary_cross_entropy_with_logits(model(batch), batch.flatten(1))
    training = Training(epochs=2, batch_size=64, hold_out=100)
    history = train_on_digits(model, training, torch.Generator().manual_seed(0), progress=False,
                              x=x, y=torch.zeros(300, dtype=torch.long))
    assert history.num_steps == 2 * 4  # 200 digits in batches of 64, twice: the last 100 never trained on
    assert len(history.epochs["val_loss"]) == 2
    with torch.no_grad():
        assert history.epochs["val_loss"][-1] == pytest.approx(model.loss(x[-100:]).item(), rel=1e-5)
    save_checkpoint(model, "held", command="python -m lecturelib.train held", metric={"m": 1.0},
                    root=tmp_path, validation=history.epochs["val_loss"])
    assert read_manifest(tmp_path)["held"]["validation_loss"] == [round(v, 3) for v in history.epochs["val_loss"]]
    with pytest.raises(ValueError, match="hold_out"):
        Training(epochs=1, hold_out=8000)
