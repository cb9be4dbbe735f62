#!/usr/bin/env python3
"""Writes the PyTorch fixtures of the adaptive-softmax decoder (AdaptiveSoftmaxTests).

    ~/.cache/charrnn-venv/bin/python Tests/ModelTests/Fixtures/make_adaptive_fixtures.py

A charrnn language model whose decoder is nn.AdaptiveLogSoftmaxWithLoss (head_bias=False, its
default), stored under the name `decoder`, over V = 40 letters with cutoffs [8, 20] and
div_value 2 (H = 12: projections of 6 and 3 units). For two networks (nn.RNN with 1 layer,
nn.GRU with 2) it writes beside this script:
  adaptive_{cell}_l{L}.model.safetensors  the model, with "decoder" in its charrnn metadata
  adaptive_{cell}_l{L}.data.safetensors   the batch and what PyTorch computed from it:
      inputs, targets [T, B]   token ids (as F32), targets drawn so every cluster has some
      h0 [L, B, H]             the initial hidden state
      log_prob [T, B, V]       decoder.log_prob(h) of every position: the full distribution
      output [T, B]            the log-probability of each target (the module's `output`)
      loss [1]                 the module's loss (the mean of −output)
      hT [L, B, H]
      grad.<name>              d(loss)/d(parameter), for every parameter
      adam.losses [5], adam.<name>   5 steps of Adam (lr 0.01) after clip_grad_norm_(0.5),
                               as in make_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
V, H, B, T = 40, 12, 3, 5
CUTOFFS, DIV = [8, 20], 2.0
# Forty single-code-point letters (so the vocabulary passes charrnn's one-grapheme check).
VOCAB = ["\n", " "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("春夏秋冬山水花月風雲雪😀")
CELLS = {"rnn": ("rnn_tanh", 4000), "gru": ("gru", 5000)}


class CharRNN(torch.nn.Module):
    def __init__(self, cell, layers):
        super().__init__()
        if cell == "rnn":
            self.rnn = torch.nn.RNN(V, H, num_layers=layers, nonlinearity="tanh")
        else:
            self.rnn = torch.nn.GRU(V, H, num_layers=layers)
        self.decoder = torch.nn.AdaptiveLogSoftmaxWithLoss(H, V, CUTOFFS, div_value=DIV)

    def forward(self, ids, targets, state):
        out, final = self.rnn(torch.nn.functional.one_hot(ids, V).float(), state)
        result = self.decoder(out.reshape(-1, H), targets.reshape(-1))
        return out, result.output, result.loss, final


def make(cell, layers):
    assert len(VOCAB) == V and len(set(VOCAB)) == V
    name, seed = CELLS[cell]
    torch.manual_seed(seed + layers)
    model = CharRNN(cell, layers)
    with torch.no_grad():  # larger than the default init, so the softmaxes are not nearly flat
        for p in model.parameters():
            p.mul_(3.0)
    ids = torch.randint(0, V, (T + 1, B))
    inputs, targets = ids[:-1], ids[1:]
    bounds = [0] + CUTOFFS + [V]
    for lo, hi in zip(bounds, bounds[1:]):
        assert ((targets >= lo) & (targets < hi)).any(), "a cluster without targets: change the seed"
    h0 = torch.rand(layers, B, H) - 0.5

    metadata = {"format_version": 1, "task": "language-model", "cell": name, "hidden_size": H,
                "num_layers": layers, "vocab": VOCAB, "training": {"corpus": "PyTorch fixture"},
                "decoder": {"kind": "adaptive", "cutoffs": CUTOFFS, "div_value": DIV}}
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    base = f"adaptive_{cell}_l{layers}"
    save_file(state, os.path.join(HERE, base + ".model.safetensors"),
              metadata={"charrnn": json.dumps(metadata, ensure_ascii=False)})

    out, output, loss, final = model(inputs, targets, h0)
    loss.backward()
    log_prob = model.decoder.log_prob(out.reshape(-1, H)).reshape(T, B, V)
    # The module's two definitions agree: the output is the full log_prob at the target.
    assert torch.allclose(log_prob.reshape(-1, V).gather(1, targets.reshape(-1, 1)).squeeze(1), output, atol=1e-5)
    data = {"inputs": inputs.float(), "targets": targets.float(), "h0": h0, "hT": final.detach(),
            "log_prob": log_prob.detach(), "output": output.detach().reshape(T, B), "loss": loss.detach().reshape(1)}
    for pname, p in model.named_parameters():
        data["grad." + pname] = p.grad.detach().clone()

    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        _, _, loss, _ = model(inputs, targets, h0)
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
    data["adam.losses"] = torch.tensor(losses)
    for pname, p in model.named_parameters():
        data["adam." + pname] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in data.items()}, os.path.join(HERE, base + ".data.safetensors"))
    print(f"{base}: loss {data['loss'].item():.6f}, Adam losses {[round(x, 6) for x in losses]}")


if __name__ == "__main__":
    print("torch", torch.__version__)
    make("rnn", 1)
    make("gru", 2)
