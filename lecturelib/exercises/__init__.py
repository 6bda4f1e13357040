"""Self-checking exercises: the student writes an idea of the notebook, a check tests it on fresh
inputs, names the usual mistake, and then puts the answer to work.

    def my_e_step(mixture, x):
        ...  # your code: the responsibilities (N, K)
        return None

    exercises.e_step(my_e_step)  # in notebook 01: `from lecturelib.exercises import unsupervised as exercises`

Each notebook's exercises live in a module of this package (getting_started, unsupervised,
autoencoders, pixel_models, vae, gans, diffusion, flows, recap). An `Exercise` holds lecturelib's own version of the
idea (the reference), a function that makes fresh random inputs of several shapes, the usual
mistakes written as a student would write them, and what to do with a correct answer (train with
it, sample with it, ...). A `Question` is a conceptual one, answered with a word. Answers live in
lecturelib, never in the notebook cell that asks.

A check prints its verdict and never raises, so a notebook with unanswered exercises still runs
top to bottom; it leaves torch's global generator as it was, and stops after TIME_LIMIT seconds:
    [ ] Exercise 01.2 · the E-step: not answered yet ...
    [x] Exercise 01.2 · the E-step: case 2 of 3 (N = 37, K = 5, D = 3): each row should sum to 1 ...
    [ok] Exercise 01.2 · the E-step: correct on 3 fresh cases. Put to work: ...

The machinery: harness.py (how one check runs: verdict, seed, time limit, the global generator
kept), compare.py (an answer against the right one, within a tolerance), kinds.py (Exercise, Build,
Question). What every whole-model assignment (*_model.py) shares is in assignments.py; the probes
of an assignment, run before it trains, in logit_probes.py (02, 03), vae_probes.py, gan_probes.py;
how notebook 05's two step exercises are judged, in gan_steps.py.
"""

from .compare import check, compare, numeric_verdict
from .harness import NOT_ANSWERED, SEED_VARIABLE, TIME_LIMIT, Case, Verdict, case_seed, randn, sizes
from .kinds import Build, Exercise, Question

__all__ = ["Build", "Case", "Exercise", "NOT_ANSWERED", "Question", "SEED_VARIABLE", "TIME_LIMIT", "Verdict",
           "case_seed", "check", "compare", "numeric_verdict", "randn", "sizes"]
