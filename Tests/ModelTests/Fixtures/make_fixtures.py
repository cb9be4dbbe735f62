#!/usr/bin/env python3
"""Writes the PyTorch fixtures that the Swift tests (PyTorchFixtureTests) compare against.

    python3 -m venv .venv-ref && .venv-ref/bin/pip install torch safetensors numpy
    .venv-ref/bin/python Tests/ModelTests/Fixtures/make_fixtures.py

For each cell (rnn, lstm, gru) and depth L (1, 2) it writes two files beside this script:
  {cell}_l{L}.model.safetensors  a charrnn model: nn.RNN / nn.LSTM / nn.GRU + nn.Linear weights
                              under PyTorch's names, with the charrnn metadata (so the Swift side
                              loads it as a model)
  {cell}_l{L}.data.safetensors   the batch and everything PyTorch computed from it:
      inputs, targets [T, B]    token ids (stored as F32; all small integers, exact)
      h0 [L, B, H]              the initial hidden state (not zero: a carried state)
      c0 [L, B, H]              LSTM only: the initial cell state
      logits [T, B, V], loss [1], hT [L, B, H] (and cT for the LSTM)
      grad.<name>               d(mean loss)/d(parameter), for every parameter
      adam.losses [5]           the loss before each of 5 steps of Adam (lr 0.01) on the same
                                batch from the same h0, each after clip_grad_norm_(0.5)
      adam.<name>               every parameter after those 5 steps
"""
import json
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
V, H, B, T = 7, 6, 3, 5
VOCAB = ["\n", " ", "a", "b", "c", "春", "😀"]


# The cells, their charrnn metadata names and seeds (rnn's seeds are those of the first fixtures).
CELLS = {"rnn": ("rnn_tanh", 1000), "lstm": ("lstm", 2000), "gru": ("gru", 3000)}


class CharRNN(torch.nn.Module):
    """The module charrnn's files load into: attributes `rnn` and `decoder`."""

    def __init__(self, cell, vocab, hidden, layers):
        super().__init__()
        if cell == "rnn":
            self.rnn = torch.nn.RNN(vocab, hidden, num_layers=layers, nonlinearity="tanh")
        elif cell == "lstm":
            self.rnn = torch.nn.LSTM(vocab, hidden, num_layers=layers)
        else:
            self.rnn = torch.nn.GRU(vocab, hidden, num_layers=layers)
        self.decoder = torch.nn.Linear(hidden, vocab)

    def forward(self, ids, state):
        x = torch.nn.functional.one_hot(ids, V).float()  # [T, B, V]
        out, final = self.rnn(x, state)
        return self.decoder(out), final


def make(cell, layers):
    name, seed = CELLS[cell]
    torch.manual_seed(seed + layers)
    model = CharRNN(cell, V, H, layers)
    with torch.no_grad():  # larger than the default init, so tanh is not nearly linear
        for p in model.parameters():
            p.mul_(3.0)
    ids = torch.randint(0, V, (T + 1, B))
    inputs, targets = ids[:-1], ids[1:]
    h0 = torch.rand(layers, B, H) - 0.5
    c0 = torch.rand(layers, B, H) - 0.5 if cell == "lstm" else None
    state0 = (h0, c0) if cell == "lstm" else h0

    metadata = {"format_version": 1, "task": "language-model", "cell": name, "hidden_size": H,
                "num_layers": layers, "vocab": VOCAB, "training": {"corpus": "PyTorch fixture"}}
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(HERE, f"{cell}_l{layers}.model.safetensors"),
              metadata={"charrnn": json.dumps(metadata, ensure_ascii=False)})

    logits, final = model(inputs, state0)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    hT = final[0] if cell == "lstm" else final
    data = {"inputs": inputs.float(), "targets": targets.float(), "h0": h0, "hT": hT.detach(),
            "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    if cell == "lstm":
        data["c0"] = c0
        data["cT"] = final[1].detach()
    for name, p in model.named_parameters():
        data["grad." + name] = p.grad.detach().clone()

    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        logits, _ = model(inputs, state0)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
    data["adam.losses"] = torch.tensor(losses)
    for name, p in model.named_parameters():
        data["adam." + name] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in data.items()}, os.path.join(HERE, f"{cell}_l{layers}.data.safetensors"))
    print(f"{cell}, layers {layers}: loss {data['loss'].item():.6f}, Adam losses {[round(x, 6) for x in losses]}")


if __name__ == "__main__":
    print("torch", torch.__version__)
    for cell in CELLS:
        for layers in (1, 2):
            make(cell, layers)
