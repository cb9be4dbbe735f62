"""charrnn forecasters (task "forecaster", docs/model-format.md) as PyTorch modules: `load_forecaster`.

A forecaster holds one `nn.RNN` (tanh) / `nn.LSTM` / `nn.GRU` reading one real value per step
(`rnn.weight_ih_l0` is [G·H, 1]) and one `nn.Linear(H, horizon)` `decoder` on the top layer's
last hidden state. The series is scaled by the `forecast` metadata's `scale_mean` and
`scale_std` (of the training part) before it goes in, and the outputs are unscaled with them;
with `"target": "change"` an output is the change from the window's last (scaled) value.
"""

import json

import torch
from safetensors import safe_open

from .model import CELLS, CharRNNError


class Forecaster(torch.nn.Module):
    """`rnn` over a window of scaled values from a zero state, `decoder` on its last state."""

    def __init__(self, cell, hidden_size, num_layers, horizon):
        super().__init__()
        if cell not in CELLS:
            raise CharRNNError(f"unknown cell {cell!r}; charrnn has {', '.join(CELLS)}")
        extra = {"nonlinearity": "tanh"} if cell == "rnn_tanh" else {}
        self.rnn = CELLS[cell](1, hidden_size, num_layers=num_layers, **extra)
        self.decoder = torch.nn.Linear(hidden_size, horizon)

    def forward(self, x):
        """x: [T, B, 1] scaled values, oldest first. Returns [B, horizon] scaled predictions."""
        out, _ = self.rnn(x)
        return self.decoder(out[-1])


def load_forecaster(path, device="cpu"):
    """A charrnn forecaster file as a `Forecaster` module (eval mode) and its metadata (a dict)."""
    try:
        with safe_open(path, framework="pt") as f:
            header = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys() if name.startswith(("rnn.", "decoder."))}
    except FileNotFoundError:
        raise CharRNNError(f"{path}: no such file") from None
    try:
        meta = json.loads(header["charrnn"])
    except (KeyError, ValueError):
        raise CharRNNError(f"{path}: no valid \"charrnn\" metadata, so it is not a charrnn model") from None
    if meta.get("task") != "forecaster" or not isinstance(meta.get("forecast"), dict):
        raise CharRNNError(f"{path}: a {meta.get('task')!r} model, not a forecaster; use charrnn_torch.load")
    forecast = meta["forecast"]
    model = Forecaster(meta["cell"], meta["hidden_size"], meta["num_layers"], forecast["horizon"])
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        raise CharRNNError(f"{path}: its tensors do not fit its metadata ({' '.join(str(error).split())})") from None
    return model.to(device).eval(), meta


def predict(model, meta, window):
    """The next `horizon` values (in the series' units) after the last `lookback` values of `window`."""
    forecast = meta["forecast"]
    mean, std, lookback = forecast["scale_mean"], forecast["scale_std"], forecast["lookback"]
    if len(window) < lookback:
        raise CharRNNError(f"a window of {len(window)} values; this forecaster reads {lookback}")
    x = ((torch.tensor(window[-lookback:], dtype=torch.float64) - mean) / std).to(torch.float32)
    with torch.no_grad():
        y = model(x.reshape(lookback, 1, 1))[0]
    if forecast.get("target") == "change":  # the output is the change from the window's last value
        y = y + x[-1]
    return (y.to(torch.float64) * std + mean).tolist()
