#!/usr/bin/env python3
"""Loads a charrnn model into PyTorch and scores a text, to check a model written by charrnn.

    .venv-ref/bin/python Tests/ModelTests/Fixtures/check_model.py MODEL TEXT [--charrnn PATH]

The model's tensors go into nn.RNN, nn.LSTM or nn.GRU (its metadata's cell) + nn.Linear with
load_state_dict(strict=True); the text is
scored as DESIGN.md defines it (one stream from h = 0, tokens 0..N-2 fed, 1..N-1 scored). With
--charrnn, the same score from `charrnn eval --format json` is printed beside it and the two must
agree to 1e-5 relative. Grapheme models only, on text whose letters are single code points (as
Chinese and ASCII are): it reads letters with list(text), without a grapheme segmenter.
"""
import argparse
import json
import math
import subprocess
import unicodedata

import torch
from safetensors import safe_open
from safetensors.torch import load_file


class CharRNN(torch.nn.Module):
    def __init__(self, cell, inputs, hidden, layers, outputs):
        super().__init__()
        if cell == "rnn_tanh":
            self.rnn = torch.nn.RNN(inputs, hidden, num_layers=layers, nonlinearity="tanh")
        elif cell == "lstm":
            self.rnn = torch.nn.LSTM(inputs, hidden, num_layers=layers)
        else:
            self.rnn = torch.nn.GRU(inputs, hidden, num_layers=layers)
        self.decoder = torch.nn.Linear(hidden, outputs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("text")
    parser.add_argument("--charrnn", help="the charrnn binary, to compare with its eval")
    args = parser.parse_args()

    with safe_open(args.model, framework="pt") as f:
        meta = json.loads(f.metadata()["charrnn"])
    assert meta["task"] == "language-model", "a language model is needed"
    assert meta["cell"] in ("rnn_tanh", "lstm", "gru"), f"unknown cell {meta['cell']}"
    assert meta.get("unit", "grapheme") == "grapheme", "grapheme models only"
    vocab = meta["vocab"]
    v, h, layers = len(vocab), meta["hidden_size"], meta["num_layers"]
    model = CharRNN(meta["cell"], v, h, layers, v)
    model.load_state_dict(load_file(args.model), strict=True)

    text = unicodedata.normalize("NFC", open(args.text, encoding="utf-8").read())
    index = {token: i for i, token in enumerate(vocab)}
    missing = sorted({c for c in text if c not in index})
    assert not missing, f"letters outside the vocabulary: {missing[:10]}"
    ids = torch.tensor([index[c] for c in text])
    with torch.no_grad():
        x = torch.nn.functional.one_hot(ids[:-1], v).float().unsqueeze(1)  # [N-1, 1, V]
        out, _ = model.rnn(x)  # from zero state (h, and c for the LSTM)
        logits = model.decoder(out.squeeze(1))
        nats = torch.nn.functional.cross_entropy(logits.double(), ids[1:]).item()
    print(f"PyTorch {torch.__version__}, {type(model.rnn).__name__}: {len(ids) - 1} tokens, {nats:.6f} nats/token, "
          f"{nats / math.log(2):.6f} bits/token")
    if args.charrnn:
        result = json.loads(subprocess.run([args.charrnn, "eval", "--model", args.model, "--text", args.text,
                                            "--format", "json"], check=True, capture_output=True, text=True).stdout)
        print(f"charrnn eval:  {result['tokens']} tokens, {result['nats_per_token']:.6f} nats/token, "
              f"{result['bits_per_token']:.6f} bits/token")
        assert result["tokens"] == len(ids) - 1
        difference = abs(result["nats_per_token"] - nats)
        print(f"|difference| = {difference:.2e} nats/token")
        assert difference <= 1e-5 * nats, "charrnn and PyTorch disagree"


if __name__ == "__main__":
    main()
