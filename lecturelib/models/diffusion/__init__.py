"""Diffusion models: destroy a digit with noise in T small steps, learn to undo one step.

The library of notebook 06, diffusion models. References:
- J. Sohl-Dickstein, E. Weiss, N. Maheswaranathan, S. Ganguli (2015). Deep Unsupervised Learning
  using Nonequilibrium Thermodynamics. arXiv:1503.03585.
- J. Ho, A. Jain, P. Abbeel (2020). Denoising Diffusion Probabilistic Models. arXiv:2006.11239.
  (The forward process and its closed form, eq. 4; the noise-prediction loss, eq. 14, a weighted
  form of the ELBO, eq. 12; ancestral sampling, Algorithm 2.)
- A. Nichol, P. Dhariwal (2021). Improved Denoising Diffusion Probabilistic Models.
  arXiv:2102.09672. (The cosine schedule.)
- J. Song, C. Meng, S. Ermon (2021). Denoising Diffusion Implicit Models. arXiv:2010.02502.
  (Deterministic sampling in a few steps.)
- J. Ho, T. Salimans (2022). Classifier-Free Diffusion Guidance. arXiv:2207.12598.
- Y. Lipman, R. Chen, H. Ben-Hamu, M. Nickel, M. Le (2023). Flow Matching for Generative
  Modeling. arXiv:2210.02747. X. Liu, C. Gong, Q. Liu (2023). Flow Straight and Fast.
  arXiv:2209.03003. (Straight paths from noise to data, a velocity regressed along them.)
- T. Karras, M. Aittala, T. Aila, S. Laine (2022). Elucidating the Design Space of
  Diffusion-Based Generative Models. arXiv:2206.00364. (DDIM as Euler steps in x_t / sqrt(abar_t).)
- C. Lu, Y. Zhou, F. Bao, J. Chen, C. Li, J. Zhu (2022). DPM-Solver++: Fast Solver for Guided
  Sampling of Diffusion Probabilistic Models. arXiv:2211.01095. (A second-order step, same network.)

The forward process adds Gaussian noise, step t with variance beta_t:

    q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),
    q(x_t | x_0)     = N(sqrt(abar_t) x_0, (1 - abar_t) I),   abar_t = prod_{s<=t} (1 - beta_s),

so a noisy version of a digit at any step is one line: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
A network eps_theta(x_t, t) learns to predict the noise eps that was added (the loss is a mean
squared error); the reverse process runs the other way, from pure noise x_T ~ N(0, I) to a digit.

Digits are grey levels scaled to [-1, 1]; `sample` returns them in [0, 1], like the GANs'.

One job per file:

    schedule.py   the noise schedule, the forward process, the posterior variance, the ELBO's
                  weights, the denoising loss, x_0 from a predicted noise
    samplers.py   DDPM's step, DDIM's step and path, DPM-Solver++(2M) and its log-SNR spacing
    flow.py       flow matching's loss and the Euler sampler
    toy.py        the 2-D toys' network (ToyNet; lecturelib.train.train_toy trains it)
    config.py     DiffusionConfig, whose defaults are the shipped model
    unet.py       the U-Net: timestep embedding, residual block, U-Net
    model.py      DiffusionModel: its loss, its samplers, guidance

Every name is importable from here too: `from lecturelib.models.diffusion import ddim_path`.
"""

from .config import DiffusionConfig
from .flow import euler_path, flow_matching_loss
from .model import DDIM_STEPS, DiffusionModel
from .samplers import ddim_path, ddim_step, ddim_times, ddpm_step, dpm_solver_path, log_snr, logsnr_times
from .schedule import (Schedule, cosine_schedule, denoising_loss, elbo_weights, estimate_x0, forward_chain,
                       posterior_variance, q_sample)
from .toy import ToyNet
from .unet import ResBlock, UNet, timestep_embedding

__all__ = ["DDIM_STEPS", "DiffusionConfig", "DiffusionModel", "ResBlock", "Schedule", "ToyNet", "UNet",
           "cosine_schedule", "ddim_path", "ddim_step", "ddim_times", "ddpm_step", "denoising_loss",
           "dpm_solver_path", "elbo_weights", "estimate_x0", "euler_path", "flow_matching_loss", "forward_chain",
           "log_snr", "logsnr_times", "posterior_variance", "q_sample", "timestep_embedding"]
