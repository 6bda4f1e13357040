"""Self-checking exercises: compare a student's answer with the notebook's own computed value.

    answer = None                      # the student's work replaces None
    check("1 · bits per dimension", answer, expected, rtol=1e-4, hint="divide by D ln 2")

A check prints one line (and returns nothing, so a cell shows only that line); it never raises,
so a notebook with an unanswered exercise still runs top to bottom. Expected values are computed in the notebook,
never typed in.
"""

from __future__ import annotations

from typing import Any

import torch


def check(name: str, answer: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6,
          hint: str = "") -> None:
    """Print whether `answer` matches `expected` (numbers or tensors, within rtol/atol)."""
    print(_verdict(name, answer, expected, rtol, atol, f" Hint: {hint}" if hint else ""))


def _verdict(name: str, answer: Any, expected: Any, rtol: float, atol: float, tip: str) -> str:
    if answer is None:
        return f"[ ] Exercise {name}: not answered yet (replace None with your answer).{tip}"
    try:
        got = torch.as_tensor(answer, dtype=torch.float64)
        want = torch.as_tensor(expected, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return f"[x] Exercise {name}: expected a number or tensor, got {type(answer).__name__}.{tip}"
    if got.shape != want.shape:
        return f"[x] Exercise {name}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}.{tip}"
    if torch.allclose(got, want, rtol=rtol, atol=atol):
        return f"[ok] Exercise {name}: correct."
    error = ((got - want).abs() / want.abs().clamp_min(atol)).max().item()
    return f"[x] Exercise {name}: not yet: relative error {error:.2g} (tolerance {rtol:g}).{tip}"
