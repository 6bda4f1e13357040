"""Nothing silently wrong (issue 32): every model entry point checks what it is given, and an
exercise check refuses what would fail later. Each refusal names what was given and what to pass."""

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

    def endless(n):
        while True:
            try:
                pass
            except Exception:  # an answer that swallows exceptions does not swallow the time limit
                pass

    verdict = pixel_exercises.rows_above.verdict(endless)
    assert verdict.status == "wrong" and "no verdict after 0.5 s" in verdict.message
    assert "so the check stopped: does your code loop without end?" in verdict.message
    time.sleep(1.0)  # the alarm is off again: nothing fires after the check
    monkeypatch.setattr(exercises, "TIME_LIMIT", 120.0)
    assert pixel_exercises.rows_above.verdict(lambda n: 7 // 2 + n, use=False).passed
