"""The course's models side by side: one table, measured from the shipped checkpoints.

    python -m lecturelib.recap                      # print the table (a minute or two on 2 cores)
    python -m lecturelib.recap --json out.json      # ... and write it as JSON
    python -m lecturelib.recap --draw-samples       # re-draw the stored samples of the slow samplers (minutes)

The recap notebook builds the same table with the same functions. Its columns:
- likelihood: what log p(x) the model gives: exact (chain rule), bound (ELBO), estimate
  (IWAE-100), none (GAN); a diffusion model has an ELBO too, but on grey digits, not on the
  coins the others are scored on, so the course does not compute it;
- test NLL in nats per digit and bits/dim, on the statically binarized test split, from each
  model's per-digit log-likelihoods (their means are the numbers of the manifest and of notebooks
  03 and 04; the per-digit values let the notebook compare two models digit by digit);
- FCD: the Fréchet classifier distance of FCD_SAMPLES samples to the test digits, with its spread
  (`metrics.fcd_with_spread`), in ONE domain for every model: binary digits. The pixel models and
  the VAE draw coins already; grey samples (GANs, diffusion, the mixture) become binary by one Bernoulli draw
  per pixel, exactly as the test digits were binarized. The floor is computed in the same domain
  (`metrics.fcd_floor` on binarized training digits). Compare models by FCD / floor;
- readable: the share of those samples the digit classifier labels with confidence >= 0.9;
- seconds to draw 64 digits, measured now on this machine;
- parameters (all trained ones, encoder and discriminator included) and the training time
  recorded in the manifest.

Drawing 2,000 digits pixel by pixel (or by guided denoising steps) costs minutes, longer than
a notebook may take. Those samples are drawn once, when the checkpoint is made or by
`--draw-samples`, into data/samples/NAME.pt (`checkpoints.store_samples`), in chunks of
SAMPLE_CHUNK digits seeded 0, 1, 2, ...: the first chunk is exactly the 64 digits that the timing
column draws live, which shows that the stored ones come from the shipped checkpoint
(`recipes.check_first_chunk`).
"""

from __future__ import annotations

from ..recipes import FCD_SAMPLES, SAMPLE_CHUNK, STORED, as_coins  # noqa: F401 (the table's domain)
from .contenders import (BASELINES, BUILT, BUILT_COLOUR, CONTENDERS, LIKELIHOOD_KINDS, TAXONOMY,  # noqa: F401
                         Contender, Row, sources)
from .measure import (all_samples, build_rows, draw, draw_chunks, load_models, measure,  # noqa: F401
                      num_parameters, sample_quality, test_log_likelihoods, time_sampling)
from .table import (COLUMNS, _duration, check_claims, format_table, row_cells, sample_panels,  # noqa: F401
                    table_html)
