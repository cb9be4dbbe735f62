#!/usr/bin/env python3
"""Writes the PyTorch fixtures of the tutorial cell (TutorialFixtureTests compares against them).

    ~/.cache/charrnn-venv/bin/python Tests/ModelTests/Fixtures/make_tutorial_fixtures.py

The network is the 2017 PyTorch char-RNN classification tutorial's SimpleRNN, defined below as
the tutorial defines it: two nn.Linear over torch.cat((input, hidden), 1), no nonlinearity on the
hidden update, the output from the combined [input, previous hidden], LogSoftmax. It is run one
step at a time, as the tutorial runs it. Two pairs of files are written beside this script:

  tutorial_lm.{model,data}.safetensors           a language model (charrnn task language-model):
      inputs, targets [T, B]   token ids (as F32), h0 [B, H] (not zero: a carried state)
      logprobs [T, B, V]       the LogSoftmax outputs; loss [1] (mean NLL over T·B); hT [B, H]
      grad.<name>              d(mean loss)/d(parameter)
      sgd.<name>               every parameter after one step of plain SGD (lr 0.1), the
                               tutorial's update p -= lr · grad
      adam.<name>              every parameter after one step of Adam (lr 0.01) from the start
  tutorial_classifier.{model,data}.safetensors   a classifier (task classifier), the tutorial's
      train(): each name read from a zero hidden state, the output of its last letter scored:
      inputs [T, B] (padded with 0), lengths [B], categories [B]
      logprobs [B, C]          each name's output at its last letter; loss [1] (mean over names)
      grad.<name>, sgd.<name> (lr 0.005, as the tutorial), adam.<name> (lr 0.01)
"""
import json
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = ["\n", " ", "a", "b", "c", "春", "😀"]
CATEGORIES = ["Alpha", "Beta", "Gamma", "Delta"]
V, H = len(VOCAB), 6


class SimpleRNN(torch.nn.Module):
    """The tutorial's network, as it wrote it."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = torch.nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = torch.nn.Linear(input_size + hidden_size, output_size)
        self.softmax = torch.nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden


def one_hot(ids):
    return torch.nn.functional.one_hot(ids, V).float()


def save_model(model, name, task, categories=()):
    metadata = {"format_version": 1, "task": task, "cell": "tutorial", "hidden_size": H, "num_layers": 1,
                "vocab": VOCAB, "categories": list(categories), "training": {"corpus": "PyTorch fixture"}}
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(HERE, f"tutorial_{name}.model.safetensors"),
              metadata={"charrnn": json.dumps(metadata, ensure_ascii=False)})


def steps(model, loss_fn, data, lr_sgd, prefix=""):
    """One SGD step and one Adam step, each from the model's current parameters."""
    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for kind, lr in (("sgd", lr_sgd), ("adam", 0.01)):
        model.load_state_dict(start)
        model.zero_grad()
        loss_fn().backward()
        if kind == "sgd":
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(p.grad, alpha=-lr)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
            optimizer.step()
        for name, p in model.named_parameters():
            data[f"{kind}.{name}"] = p.detach().clone()
    model.load_state_dict(start)


def language_model():
    T, B = 5, 3
    torch.manual_seed(1900)
    model = SimpleRNN(V, H, V)
    with torch.no_grad():  # larger than the default init, so the products are not all tiny
        for p in model.parameters():
            p.mul_(2.0)
    ids = torch.randint(0, V, (T + 1, B))
    inputs, targets = ids[:-1], ids[1:]
    h0 = torch.rand(B, H) - 0.5
    save_model(model, "lm", "language-model")

    def run():
        hidden, outputs = h0, []
        for t in range(T):  # the output at step t reads x_t and h_{t-1}, and predicts x_{t+1}
            output, hidden = model(one_hot(inputs[t]), hidden)
            outputs.append(output)
        return torch.stack(outputs), hidden

    def loss_fn():
        logprobs, _ = run()
        return torch.nn.functional.nll_loss(logprobs.reshape(-1, V), targets.reshape(-1))

    logprobs, hT = run()
    loss = loss_fn()
    model.zero_grad()
    loss.backward()
    data = {"inputs": inputs.float(), "targets": targets.float(), "h0": h0, "hT": hT.detach(),
            "logprobs": logprobs.detach(), "loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        data["grad." + name] = p.grad.detach().clone()
    steps(model, loss_fn, data, 0.1)
    save_file({k: v.contiguous() for k, v in data.items()}, os.path.join(HERE, "tutorial_lm.data.safetensors"))
    print(f"language model: loss {loss.item():.6f}")


def classifier():
    lengths, categories = [4, 1, 6, 3], [2, 0, 3, 2]
    T, B, C = max(lengths), len(lengths), len(CATEGORIES)
    torch.manual_seed(1901)
    model = SimpleRNN(V, H, C)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)
    inputs = torch.zeros(T, B, dtype=torch.long)
    for b, n in enumerate(lengths):
        inputs[:n, b] = torch.randint(0, V, (n,))
    save_model(model, "classifier", "classifier", CATEGORIES)

    def outputs():
        result = []
        for b, n in enumerate(lengths):  # the tutorial's train(): one name, from initHidden()
            hidden = torch.zeros(1, H)
            for t in range(n):
                output, hidden = model(one_hot(inputs[t, b:b + 1]), hidden)
            result.append(output[0])
        return torch.stack(result)

    target = torch.tensor(categories)

    def loss_fn():
        return torch.nn.functional.nll_loss(outputs(), target)

    logprobs = outputs()
    loss = loss_fn()
    model.zero_grad()
    loss.backward()
    data = {"inputs": inputs.float(), "lengths": torch.tensor(lengths).float(), "categories": target.float(),
            "logprobs": logprobs.detach(), "loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        data["grad." + name] = p.grad.detach().clone()
    steps(model, loss_fn, data, 0.005)
    save_file({k: v.contiguous() for k, v in data.items()},
              os.path.join(HERE, "tutorial_classifier.data.safetensors"))
    print(f"classifier: loss {loss.item():.6f}")


if __name__ == "__main__":
    print("torch", torch.__version__)
    language_model()
    classifier()
