"""How one check runs, whatever it checks: its verdict, its seed, its time limit, torch's global
generator given back as it was, and a correct answer put to work (Exercise, Build and Question in
kinds.py are built on it)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
from typing import Any, Callable, Iterator, Mapping, NamedTuple

import torch

NOT_ANSWERED = "not answered yet: replace the `return None` (or `None`) with your answer"
TIME_LIMIT = 120.0  # seconds to judge an answer (putting it to work, which may train, not counted)
SEED_VARIABLE = "GENMODELS_CHECK_SEED"


class Case(NamedTuple):
    """One set of inputs for a check: a label for the message ("N = 37, K = 5") and the args."""

    label: str
    args: tuple


class Verdict(NamedTuple):
    status: str  # "ok", "wrong" or "unanswered"
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "ok"


def case_seed() -> int:
    """The seed of an exercise's cases: fresh on every call (from the operating system, never from
    torch's global generator), or the value of GENMODELS_CHECK_SEED when it is set, so that a
    failing case named in a verdict can be drawn again."""
    value = os.environ.get(SEED_VARIABLE, "").strip()
    if not value:
        return secrets.randbelow(2**31)
    if not value.isdigit():
        raise ValueError(f"{SEED_VARIABLE} should be a whole number (the seed a verdict named), got {value!r}")
    return int(value)


def randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """Standard normal numbers from the check's own generator."""
    return torch.randn(*shape, generator=generator)


def sizes(generator: torch.Generator, low: int, high: int) -> int:
    """A random size in [low, high] from the check's own generator."""
    return int(torch.randint(low, high + 1, (1,), generator=generator))


class _TooSlow(BaseException):  # not an Exception: no `except Exception` in an answer swallows it
    """A check ran out of time."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise _TooSlow after `seconds`, by SIGALRM: in a kernel's main thread on Unix; else no limit."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def guarded(check: Callable[[Any, Any], Verdict]) -> Callable[..., Verdict]:
    """`verdict(answer, use=True, **context)` from a check(self, answer): torch's global generator
    given back as it was, the check stopped after TIME_LIMIT, then a correct answer put to work."""
    def verdict(self, answer: Any, use: bool = True, **context: Any) -> Verdict:
        with torch.random.fork_rng():
            try:
                with _time_limit(self.time_limit):
                    checked = check(self, answer)
            except _TooSlow:
                return Verdict("wrong", f"[x] Exercise {self.name}: no verdict after {self.time_limit:g} s, so the check "
                                        "stopped: does your code loop without end? Try it on a small input first.")
            return put_to_work(checked, self.use if use else None, answer, context)
    return verdict


def put_to_work(checked: Verdict, use: Callable[..., str] | None, answer: Any,
                context: Mapping[str, Any]) -> Verdict:
    if not checked.passed or use is None:
        return checked
    try:
        return Verdict("ok", checked.message + f"\n     Put to work: {use(answer, **context)}")
    except Exception as err:  # a correct answer should not fail here; report, never raise
        return Verdict("wrong", checked.message + f"\n     Putting it to work failed: {type(err).__name__}: {str(err)[:200]}")


def report(verdict: Verdict, require: bool) -> None:
    """Print the verdict; require=True (solution cells) raises AssertionError unless it passed."""
    print(verdict.message)
    if require and not verdict.passed:
        raise AssertionError(f"the solution does not pass its own check: {verdict.message}")
