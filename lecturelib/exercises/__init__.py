"""Self-checking exercises: the student writes an idea of the notebook, a check tests it on fresh
inputs, names the usual mistake, and then puts the answer to work.

    def my_e_step(mixture, x):
        ...  # your code: the responsibilities (N, K)
        return None

    exercises.e_step(my_e_step)  # in notebook 01: `from lecturelib.exercises import unsupervised as exercises`

Each notebook's exercises live in a module of this package (getting_started, unsupervised,
autoencoders, pixel_models, vae, gans, diffusion, recap). An `Exercise` holds lecturelib's own version of the
idea (the reference), a function that makes fresh random inputs of several shapes, the usual
mistakes written as a student would write them, and what to do with a correct answer (train with
it, sample with it, ...). A `Question` is a conceptual one, answered with a word. Answers live in
lecturelib, never in the notebook cell that asks.

A check prints its verdict and never raises, so a notebook with unanswered exercises still runs
top to bottom; it leaves torch's global generator as it was, and stops after TIME_LIMIT seconds:
    [ ] Exercise 01.2 · the E-step: not answered yet ...
    [x] Exercise 01.2 · the E-step: case 2 of 3 (N = 37, K = 5, D = 3): each row should sum to 1 ...
    [ok] Exercise 01.2 · the E-step: correct on 3 fresh cases. Put to work: ...
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import os
import secrets
import signal
import threading
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Sequence

import torch

NOT_ANSWERED = "not answered yet: replace the `return None` (or `None`) with your answer"
TIME_LIMIT = 120.0  # seconds to judge an answer (putting it to work, which may train, not counted)


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


def _close(got: Any, want: Any, rtol: float, atol: float) -> tuple[bool, str]:
    """Compare two outputs (tensors, numbers, tuples of them, or lists of words); say how they
    differ."""
    if isinstance(want, (tuple, list)) and all(isinstance(w, str) for w in want) and want:
        if not isinstance(got, (tuple, list)) or not all(isinstance(g, str) for g in got):
            return False, f"expected a list of {len(want)} strings, got {type(got).__name__}"
        if list(got) == list(want):
            return True, ""
        return False, f"expected {list(want)}, got {list(got)}"
    if isinstance(want, torch.Tensor) and type(got).__module__ == "numpy":  # it would fail when put to work
        return False, f"expected a torch.Tensor, got a numpy {type(got).__name__}: return torch.as_tensor(...) of it"
    if isinstance(want, (tuple, list)) and not isinstance(want, torch.Size):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return False, f"expected {len(want)} values, got {type(got).__name__}"
        for i, (g, w) in enumerate(zip(got, want)):
            ok, why = _close(g, w, rtol, atol)
            if not ok:
                return False, f"value {i + 1}: {why}"
        return True, ""
    try:
        g = torch.as_tensor(got.detach() if isinstance(got, torch.Tensor) else got, dtype=torch.float64)
        w = torch.as_tensor(want.detach() if isinstance(want, torch.Tensor) else want, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return False, f"expected a number or a tensor, got {type(got).__name__}"
    if g.shape != w.shape:
        return False, f"expected shape {tuple(w.shape)}, got {tuple(g.shape)}"
    if not torch.isfinite(g).all() and torch.isfinite(w).all():
        return False, "your result has inf or nan where the right one is finite"
    if torch.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
        return True, ""
    error = ((g - w).abs() / w.abs().clamp_min(atol)).max().item()
    return False, f"off by up to {error:.2g} (relative)"


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


def _guarded(check: Callable[[Any, Any], Verdict]) -> Callable[..., Verdict]:
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
            return _put_to_work(checked, self.use if use else None, answer, context)
    return verdict


SEED_VARIABLE = "GENMODELS_CHECK_SEED"


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


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A build-it exercise: the student's function against the reference on fresh cases."""

    name: str  # "01.2 · the E-step"
    reference: Callable[..., Any]  # lecturelib's own version of the idea
    cases: Callable[[torch.Generator], Sequence[Case]]  # fresh inputs of several shapes
    mistakes: Mapping[str, Callable[..., Any]] = dataclasses.field(default_factory=dict)  # diagnosis -> wrong answer
    hint: str = ""  # said when the answer is wrong in a way no listed mistake explains
    use: Callable[..., str] | None = None  # use(answer, **context): a correct answer put to work
    rtol: float = 1e-4
    atol: float = 1e-6
    seed: int | None = None  # None: fresh cases on every call (see case_seed)
    time_limit: float = TIME_LIMIT

    def examples(self) -> tuple[Callable[..., Any], Mapping[str, Callable[..., Any]]]:
        """A right answer and the wrong ones with their diagnoses (for the tests of the check)."""
        return self.reference, self.mistakes

    @_guarded
    def verdict(self, answer: Callable[..., Any] | None) -> Verdict:
        title = f"Exercise {self.name}"
        if answer is None:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        if not callable(answer):
            return Verdict("wrong", f"[x] {title}: expected a function, got {type(answer).__name__}.")
        seed = case_seed() if self.seed is None else self.seed
        cases = self.cases(torch.Generator().manual_seed(seed))
        for number, case in enumerate(cases, 1):
            where = f"case {number} of {len(cases)} ({case.label}, drawn with {SEED_VARIABLE}={seed})"
            try:
                got = answer(*copy.deepcopy(case.args))  # a copy: the answer may change its inputs
            except NotImplementedError:
                return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
            except Exception as err:  # the student's code failed: say where, never raise
                return Verdict("wrong", f"[x] {title}: {where}: your function raised "
                                        f"{type(err).__name__}: {str(err)[:160]}")
            if got is None:
                return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
            want = self.reference(*copy.deepcopy(case.args))
            ok, why = _close(got, want, self.rtol, self.atol)
            if ok:
                continue
            matched = [diagnosis for diagnosis, mistake in self.mistakes.items()
                       if _close(got, mistake(*copy.deepcopy(case.args)), self.rtol, self.atol)[0]]
            if matched:  # several usual mistakes can give the same output: name each
                return Verdict("wrong", f"[x] {title}: {where}: " + "\n     Or: ".join(matched))
            tip = f" Hint: {self.hint}" if self.hint else ""
            return Verdict("wrong", f"[x] {title}: {where}: {why}.{tip}")
        return Verdict("ok", f"[ok] {title}: correct on {len(cases)} fresh cases.")

    def __call__(self, answer: Callable[..., Any] | None, *, require: bool = False, **context: Any) -> None:
        """Print the verdict (and put a correct answer to work). require=True (solution cells)
        raises AssertionError unless the answer passes."""
        _report(self.verdict(answer, **context), require)


def _put_to_work(checked: Verdict, use: Callable[..., str] | None, answer: Any,
                 context: Mapping[str, Any]) -> Verdict:
    if not checked.passed or use is None:
        return checked
    try:
        return Verdict("ok", checked.message + f"\n     Put to work: {use(answer, **context)}")
    except Exception as err:  # a correct answer should not fail here; report, never raise
        return Verdict("wrong", checked.message + f"\n     Putting it to work failed: {type(err).__name__}: {str(err)[:200]}")


def _report(verdict: Verdict, require: bool) -> None:
    print(verdict.message)
    if require and not verdict.passed:
        raise AssertionError(f"the solution does not pass its own check: {verdict.message}")


@dataclasses.dataclass(frozen=True)
class Build:
    """A build-it exercise with no single right output (an architecture, a training step): `test`
    runs the student's answer on fresh inputs and returns what is wrong, or None."""

    name: str
    test: Callable[[Any, torch.Generator], str | None]  # (answer, generator) -> problem or None
    solution: Any  # a right answer, for the tests of the check
    wrong: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # diagnosis -> a wrong answer
    use: Callable[..., str] | None = None
    seed: int = 0  # fixed: a build is judged by training it, on the seeds its thresholds were set from
    time_limit: float = TIME_LIMIT  # an assignment that trains a model gets more

    def examples(self) -> tuple[Any, Mapping[str, Any]]:
        return self.solution, self.wrong

    @_guarded
    def verdict(self, answer: Any) -> Verdict:
        title = f"Exercise {self.name}"
        if answer is None:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        try:
            problem = self.test(answer, torch.Generator().manual_seed(self.seed))
        except NotImplementedError:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        except Exception as err:  # the student's code failed: say where, never raise
            return Verdict("wrong", f"[x] {title}: your code raised {type(err).__name__}: {str(err)[:200]}")
        if problem == NOT_ANSWERED:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        if problem is not None:
            return Verdict("wrong", f"[x] {title}: {problem}")
        return Verdict("ok", f"[ok] {title}: correct on fresh inputs.")

    def __call__(self, answer: Any, *, require: bool = False, **context: Any) -> None:
        _report(self.verdict(answer, **context), require)


@dataclasses.dataclass(frozen=True)
class Question:
    """A conceptual question answered with one of `choices`; each wrong choice has its own reply."""

    name: str
    choices: Sequence[str]
    answer: str
    replies: Mapping[str, str] = dataclasses.field(default_factory=dict)  # wrong choice -> why not
    why: str = ""  # said with a right answer

    def examples(self) -> tuple[str, Mapping[str, str]]:
        return self.answer, {reply: choice for choice, reply in self.replies.items()}

    def verdict(self, answer: str | None, use: bool = True) -> Verdict:
        title = f"Exercise {self.name}"
        if answer is None:
            return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
        given = answer.strip().lower() if isinstance(answer, str) else answer
        options = {c.lower(): c for c in self.choices}
        if given not in options:
            return Verdict("wrong", f"[x] {title}: answer with one of: " + ", ".join(f'"{c}"' for c in self.choices) + ".")
        if options[given] == self.answer:
            return Verdict("ok", f"[ok] {title}: correct." + (f" {self.why}" if self.why else ""))
        reply = self.replies.get(options[given], "not this one; read the question again.")
        return Verdict("wrong", f"[x] {title}: \"{options[given]}\": {reply}")

    def __call__(self, answer: str | None, *, require: bool = False) -> None:
        _report(self.verdict(answer), require)


def check(name: str, answer: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6,
          hint: str = "") -> None:
    """Print whether a numeric `answer` matches `expected` (numbers or tensors, within rtol/atol):
    for exercises whose answer is a number the notebook computes, with `expected` computed by
    lecturelib out of sight."""
    print(numeric_verdict(name, answer, expected, rtol=rtol, atol=atol, hint=hint).message)


def numeric_verdict(name: str, answer: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6,
                    hint: str = "", mistakes: Mapping[str, Any] | None = None) -> Verdict:
    """The verdict behind `check`; `mistakes` maps a diagnosis to the wrong value it produces."""
    title = f"Exercise {name}"
    if answer is None:
        return Verdict("unanswered", f"[ ] {title}: {NOT_ANSWERED}.")
    ok, why = _close(answer, expected, rtol, atol)
    if ok:
        return Verdict("ok", f"[ok] {title}: correct.")
    for diagnosis, wrong in (mistakes or {}).items():
        if _close(answer, wrong, rtol, atol)[0]:
            return Verdict("wrong", f"[x] {title}: {diagnosis}")
    return Verdict("wrong", f"[x] {title}: {why}." + (f" Hint: {hint}" if hint else ""))


def randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """Standard normal numbers from the check's own generator."""
    return torch.randn(*shape, generator=generator)


def sizes(generator: torch.Generator, low: int, high: int) -> int:
    """A random size in [low, high] from the check's own generator."""
    return int(torch.randint(low, high + 1, (1,), generator=generator))


LOG2 = math.log(2)
