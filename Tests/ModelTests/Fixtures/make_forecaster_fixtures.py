#!/usr/bin/env python3
"""Writes the PyTorch fixtures of a forecaster (real-valued inputs, a regression head, MSE) that
the Swift tests (ForecasterFixtureTests) compare against.

    ~/.cache/charrnn-venv/bin/python Tests/ModelTests/Fixtures/make_forecaster_fixtures.py

(any python with torch and safetensors). For each configuration below it writes two files
beside this script:
  forecast_{cell}_l{L}_h{K}.model.safetensors  a charrnn forecaster: nn.RNN / nn.LSTM / nn.GRU
                              reading one real value per step + nn.Linear(H, K), under PyTorch's
                              names, with the charrnn metadata (task "forecaster")
  forecast_{cell}_l{L}_h{K}.data.safetensors   the batch and what PyTorch computed from it:
      inputs [T, B, 1]          the windows, time-major (as nn.RNN reads them)
      targets [B, K]            the next K values of each window
      predictions [B, K]        decoder(h_T of the top layer), from a zero state
      loss [1]                  nn.MSELoss() (the mean over B·K)
      grad.<name>               d(loss)/d(parameter), for every parameter
      adam.losses [5]           the loss before each of 5 plain Adam steps (lr 0.01)
      adam.<name>               every parameter after those 5 steps
"""
import json
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
H, B, T = 6, 4, 7

# (cell, charrnn's name for it, layers, horizon, seed)
CONFIGURATIONS = [("rnn", "rnn_tanh", 1, 1, 5001), ("rnn", "rnn_tanh", 2, 3, 5002),
                  ("lstm", "lstm", 1, 2, 5003), ("gru", "gru", 2, 1, 5004)]


class Forecaster(torch.nn.Module):
    """The module a charrnn forecaster loads into: `rnn` over real inputs, `decoder` on h_T."""

    def __init__(self, cell, hidden, layers, horizon):
        super().__init__()
        kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
        self.rnn = kind(1, hidden, num_layers=layers)
        self.decoder = torch.nn.Linear(hidden, horizon)

    def forward(self, x):  # x [T, B, 1]
        out, _ = self.rnn(x)  # zero initial state
        return self.decoder(out[-1])  # [B, K]


def make(cell, name, layers, horizon, seed):
    torch.manual_seed(seed)
    model = Forecaster(cell, H, layers, horizon)
    with torch.no_grad():  # larger than the default init, so tanh is not nearly linear
        for p in model.parameters():
            p.mul_(2.0)
    # A noisy sine, as a scaled series would look.
    series = torch.sin(torch.arange(T + horizon + B * 3, dtype=torch.float32) * 0.7) + 0.3 * torch.randn(T + horizon + B * 3)
    windows = [series[3 * b: 3 * b + T + horizon] for b in range(B)]
    inputs = torch.stack([w[:T] for w in windows], dim=1).unsqueeze(2)  # [T, B, 1]
    targets = torch.stack([w[T:] for w in windows], dim=0)  # [B, K]

    metadata = {"format_version": 1, "task": "forecaster", "cell": name, "hidden_size": H, "num_layers": layers,
                "vocab": [], "forecast": {"column": "value", "lookback": T, "horizon": horizon, "season": None,
                                          "scale_mean": 0.0, "scale_std": 1.0, "held_out_fraction": 0.2,
                                          "fill": "none"},
                "training": {"corpus": "PyTorch fixture"}}
    prefix = f"forecast_{cell}_l{layers}_h{horizon}"
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(HERE, prefix + ".model.safetensors"), metadata={"charrnn": json.dumps(metadata)})

    predictions = model(inputs)
    loss = torch.nn.functional.mse_loss(predictions, targets)
    loss.backward()
    data = {"inputs": inputs, "targets": targets, "predictions": predictions.detach(), "loss": loss.detach().reshape(1)}
    for pname, p in model.named_parameters():
        data["grad." + pname] = p.grad.detach().clone()

    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    data["adam.losses"] = torch.tensor(losses)
    for pname, p in model.named_parameters():
        data["adam." + pname] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in data.items()}, os.path.join(HERE, prefix + ".data.safetensors"))
    print(f"{prefix}: loss {data['loss'].item():.6f}, Adam losses {[round(x, 6) for x in losses]}")


if __name__ == "__main__":
    print("torch", torch.__version__)
    for configuration in CONFIGURATIONS:
        make(*configuration)
