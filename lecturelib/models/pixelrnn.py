"""PixelRNN: a small Row LSTM over binarized digits.

Taught in notebooks/03_pixelrnn_pixelcnn.ipynb. Reference:
- A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu (2016). Pixel Recurrent Neural Networks.
  arXiv:1601.06759. (Row LSTM, §3.1.)

The same chain rule as the PixelCNN (`lecturelib.models.autoregressive`),

    log p(x) = sum_i log p(x_i | x_<i),

but the context is carried by an LSTM that runs down the image one row at a time. The state of
row r is computed from row r - 1's state by a 1-D convolution along the row (state-to-state,
kernel 3), plus the current row's features by a masked 1-D convolution (input-to-state, computed
for all rows at once). The rows must therefore be processed in sequence even in training: that
is the price of the unbounded context, and why the PixelCNN trains faster.

Departures from the paper, to fit 2 CPU cores: three Row LSTM layers of 48 hidden units (paper: 7
layers on MNIST, of the Diagonal BiLSTM), each with a residual connection, a 7x7 type-A first
layer as in the paper, and the same 1x1 output head as our PixelCNN.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .autoregressive import AutoregressiveImageModel, Samples, output_head
from .masked import MaskedConv2d


@dataclass(frozen=True)
class RowLSTMConfig:
    """The defaults are the shipped model, data/checkpoints/row_lstm.pt."""

    channels: int = 48  # feature maps of the first masked conv and of the residual stream
    hidden: int = 48  # LSTM state size per pixel of a row; paper: 16 per layer, 7 layers
    num_layers: int = 3  # Row LSTM layers; paper: 7 (of Diagonal BiLSTM on MNIST)
    first_kernel: int = 7  # the type-A layer
    head_channels: int = 64  # the two 1x1 layers before the output logit


class RowLSTMLayer(nn.Module):
    """One Row LSTM layer: (B, C, H, W) -> (B, C, H, W), row after row.

        [i, f, o, g]_r = K_is ⊛ x_r + K_ss ⊛ h_{r-1}        (⊛: 1-D convolution along the row)
        c_r = sigmoid(f) ⊙ c_{r-1} + sigmoid(i) ⊙ tanh(g),   h_r = sigmoid(o) ⊙ tanh(c_r)

    K_is is masked (type B, width 3) so position c of the row sees features at c - 1 and c only;
    K_ss sees h_{r-1} at c - 1, c, c + 1, which is rows above and therefore allowed."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.input_to_state = MaskedConv2d.causal(channels, 4 * hidden, (1, 3), "B")
        self.state_to_state = nn.Conv1d(hidden, 4 * hidden, 3, padding=1)
        self.output = nn.Conv2d(hidden, channels, 1)  # back to the residual stream

    def initial_state(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = x.new_zeros(x.shape[0], self.hidden, x.shape[-1])  # (B, hidden, W)
        return zeros, zeros

    def step(self, gates_in: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """One row: input gates (B, 4*hidden, W) and the previous row's (h, c) -> this row's."""
        h, c = state
        i, f, o, g = (gates_in + self.state_to_state(h)).chunk(4, dim=1)  # (B, hidden, W) each
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gates_in = self.input_to_state(x)  # (B, 4*hidden, H, W), all rows in parallel
        state = self.initial_state(x)
        rows = []
        for r in range(x.shape[-2]):  # sequential: row r needs row r - 1
            state = self.step(gates_in[:, :, r], state)
            rows.append(state[0])
        return x + self.output(torch.stack(rows, dim=2))  # (B, C, H, W)


class RowLSTM(AutoregressiveImageModel):
    """PixelRNN with Row LSTM layers. `log_prob`, `loss` and `sample` as for the PixelCNN; the
    sampler carries each layer's LSTM state from row to row, so a pixel costs one row step."""

    def __init__(self, config: RowLSTMConfig = RowLSTMConfig()):
        super().__init__()
        self.config = config
        self.first = MaskedConv2d.causal(1, config.channels, config.first_kernel, "A")
        self.layers = nn.ModuleList([RowLSTMLayer(config.channels, config.hidden)
                                     for _ in range(config.num_layers)])
        self.head = output_head(config.channels, config.head_channels)
        self.rows_above = None  # the LSTM state reaches back to the first row

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        features = self.first(x)  # (B, C, H, W)
        for layer in self.layers:
            features = layer(features)
        return self.head(features)  # (B, 1, H, W)

    def _row(self, x: torch.Tensor, row: int, states: list) -> tuple[torch.Tensor, list]:
        """Logits of one row (B, W) and each layer's new state, given the finished rows above
        (their states in `states`) and the current content of row `row` of x."""
        top = max(0, row - self.config.first_kernel // 2)
        features = self.first(x[:, :, top:row + 1])[:, :, -1]  # (B, C, W): the type-A layer's row
        new_states = []
        for layer, state in zip(self.layers, states):
            gates_in = layer.input_to_state(features[:, :, None])[:, :, 0]  # (B, 4*hidden, W)
            state = layer.step(gates_in, state)
            features = features + layer.output(state[0][:, :, None])[:, :, 0]
            new_states.append(state)
        return self.head(features[:, :, None])[:, 0, 0], new_states  # (B, W)

    def _draw_fast(self, x: torch.Tensor, uniform: torch.Tensor, start: int) -> Samples:
        """Row by row: each pixel reruns only the current row's step from the stored states of
        the row above, instead of the whole network."""
        probs = torch.zeros_like(x)
        height, width = x.shape[-2:]
        states = [layer.initial_state(x) for layer in self.layers]
        for row in range(height):
            for col in range(width):
                if row * width + col < start:  # a given pixel: keep it
                    continue
                logits, _ = self._row(x, row, states)
                p = torch.sigmoid(logits[:, col])  # (B,)
                probs[:, 0, row, col] = p
                x[:, 0, row, col] = (uniform[:, row * width + col] < p).float()
            _, states = self._row(x, row, states)  # the finished row's state, for the next row
        return Samples(x, probs)
