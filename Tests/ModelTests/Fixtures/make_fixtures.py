#!/usr/bin/env python3
"""Writes the PyTorch fixtures that the Swift tests (PyTorchFixtureTests) compare against.

    python3 -m venv .venv-ref && .venv-ref/bin/pip install torch safetensors numpy
    .venv-ref/bin/python Tests/ModelTests/Fixtures/make_fixtures.py

For each configuration it writes two files beside this script:
  rnn_l{L}.model.safetensors  a charrnn model: nn.RNN + nn.Linear weights under PyTorch's names,
                              with the charrnn metadata (so the Swift side loads it as a model)
  rnn_l{L}.data.safetensors   the batch and everything PyTorch computed from it:
      inputs, targets [T, B]    token ids (stored as F32; all small integers, exact)
      h0 [L, B, H]              the initial hidden state (not zero: a carried state)
      logits [T, B, V], loss [1], hT [L, B, H]
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


class CharRNN(torch.nn.Module):
    """The module charrnn's files load into: attributes `rnn` and `decoder`."""

    def __init__(self, vocab, hidden, layers):
        super().__init__()
        self.rnn = torch.nn.RNN(vocab, hidden, num_layers=layers, nonlinearity="tanh")
        self.decoder = torch.nn.Linear(hidden, vocab)

    def forward(self, ids, h0):
        x = torch.nn.functional.one_hot(ids, V).float()  # [T, B, V]
        out, hT = self.rnn(x, h0)
        return self.decoder(out), hT


def make(layers):
    torch.manual_seed(1000 + layers)
    model = CharRNN(V, H, layers)
    with torch.no_grad():  # larger than the default init, so tanh is not nearly linear
        for p in model.parameters():
            p.mul_(3.0)
    ids = torch.randint(0, V, (T + 1, B))
    inputs, targets = ids[:-1], ids[1:]
    h0 = torch.rand(layers, B, H) - 0.5

    metadata = {"format_version": 1, "task": "language-model", "cell": "rnn_tanh", "hidden_size": H,
                "num_layers": layers, "vocab": VOCAB, "training": {"corpus": "PyTorch fixture"}}
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(HERE, f"rnn_l{layers}.model.safetensors"),
              metadata={"charrnn": json.dumps(metadata, ensure_ascii=False)})

    logits, hT = model(inputs, h0)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    data = {"inputs": inputs.float(), "targets": targets.float(), "h0": h0, "hT": hT.detach(),
            "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        data["grad." + name] = p.grad.detach().clone()

    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        logits, _ = model(inputs, h0)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
    data["adam.losses"] = torch.tensor(losses)
    for name, p in model.named_parameters():
        data["adam." + name] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in data.items()}, os.path.join(HERE, f"rnn_l{layers}.data.safetensors"))
    print(f"layers {layers}: loss {data['loss'].item():.6f}, Adam losses {[round(x, 6) for x in losses]}")


if __name__ == "__main__":
    print("torch", torch.__version__)
    for layers in (1, 2):
        make(layers)
