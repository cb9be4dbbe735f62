"""python -m charrnn_torch.train: torchrun with 2 processes (gloo) makes the same updates as one
process with the same global batch, and its model works in charrnn; --init-from continues from
a charrnn model's weights; --resume continues a stopped run exactly; bad input is one line."""

import json
import os
import sys

import pytest
import torch
from safetensors.torch import load_file

from conftest import charrnn_eval, close, run
from charrnn_torch.data import encode
from charrnn_torch.train import main as train_main

SMALL = ["--hidden", "24", "--batch-size", "4", "--seq-length", "16", "--threads", "1"]
# 5 streams split 2 + 3 (each rank's share weighted by its size) and a clip that acts (so the gradient's
# scale matters: Adam alone would not see it).
DDP = ["--hidden", "24", "--batch-size", "5", "--seq-length", "16", "--clip", "0.1", "--threads", "1"]


def losses(history):
    with open(history, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [row["loss"] for row in rows if "loss" in row]


def test_two_processes_make_the_same_steps_as_one(corpus, charrnn, environment, tmp_path):
    common = ["--corpus", corpus, *DDP, "--cell", "lstm", "--layers", "2", "--steps", "20", "--eval-every", "10"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert train_main([*common, "--out", f"{one}.safetensors", "--history", f"{one}.jsonl", "--charrnn", charrnn]) == 0
    run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "charrnn_torch.train", *common,
         "--out", f"{two}.safetensors", "--history", f"{two}.jsonl"], env=environment)
    a, b = losses(f"{one}.jsonl"), losses(f"{two}.jsonl")
    assert len(a) == len(b) == 20
    for step, (x, y) in enumerate(zip(a, b), 1):
        assert close(x, y), f"step {step}: {x} alone, {y} on 2 processes"
    assert a[-1] < a[0]  # it learns

    # The saved model is a charrnn model: it generates, and its record says how it was made.
    model = f"{two}.safetensors"
    sample = run([charrnn, "generate", "--model", model, "--seed", "And", "--length", "40", "--rng-seed", "1"]).stdout
    assert sample.startswith("And") and len(sample) > len("And")
    info = json.loads(run([charrnn, "info", "--model", model, "--format", "json"]).stdout)
    assert info["cell"] == "lstm" and info["training"]["processes"] == 2 and info["training"]["steps"] == 20
    run([charrnn, "train", "--corpus", corpus, "--init-from", model, "--out", str(tmp_path / "back.safetensors"),
         "--steps", "2", "--batch-size", "2", "--seq-length", "8", "--val-fraction", "0", "--threads", "1"])
    weights_one, weights_two = load_file(f"{one}.safetensors"), load_file(model)
    for name in weights_one:
        assert torch.allclose(weights_one[name], weights_two[name], rtol=1e-4, atol=1e-5), name


def test_init_from_continues_from_the_charrnn_weights(corpus, charrnn, tmp_path):
    """The first step's loss is the charrnn model's loss on the first batch: B streams of T + 1
    tokens, each scored from a zero state, which `charrnn eval` measures stream by stream."""
    base = str(tmp_path / "base.safetensors")
    run([charrnn, "train", "--corpus", corpus, "--out", base, "--cell", "gru", "--hidden", "16", "--batch-size", "4",
         "--seq-length", "16", "--steps", "5", "--val-fraction", "0", "--threads", "1"])
    B, T = 3, 12
    history = tmp_path / "h.jsonl"
    assert train_main(["--corpus", corpus, "--out", str(tmp_path / "tuned.safetensors"), "--init-from", base,
                       "--batch-size", str(B), "--seq-length", str(T), "--steps", "2", "--val-fraction", "0",
                       "--history", str(history), "--threads", "1", "--charrnn", charrnn]) == 0
    first = losses(history)[0]

    text = encode(corpus, charrnn=charrnn, vocab_from=base)
    vocab = text.metadata["vocab"]
    length = (len(text.ids) - 1) // B
    scores = []
    for s in range(B):
        stream = tmp_path / f"stream{s}.txt"
        stream.write_text("".join(vocab[i] for i in text.ids[s * length:s * length + T + 1]), encoding="utf-8", newline="")
        score = charrnn_eval(charrnn, base, str(stream))
        assert score["tokens"] == T
        scores.append(score["nats_per_token"])
    assert close(first, sum(scores) / B), (first, scores)

    tuned = json.loads(run([charrnn, "info", "--model", str(tmp_path / "tuned.safetensors"), "--format", "json"]).stdout)
    assert tuned["cell"] == "gru" and tuned["hidden_size"] == 16 and tuned["training"]["init_from"] == base


def test_resume_continues_exactly(corpus, charrnn, capsys, tmp_path):
    common = ["--corpus", corpus, *SMALL, "--eval-every", "4", "--charrnn", charrnn]
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    assert train_main([*common, "--out", f"{straight}.safetensors", "--steps", "12", "--history", f"{straight}.jsonl"]) == 0
    assert train_main([*common, "--out", f"{stopped}.safetensors", "--steps", "8", "--history", f"{stopped}.jsonl"]) == 0
    assert train_main([*common, "--out", f"{stopped}.safetensors", "--steps", "12", "--history", f"{stopped}.jsonl",
                       "--resume"]) == 0
    assert losses(f"{straight}.jsonl") == losses(f"{stopped}.jsonl")
    a, b = torch.load(f"{straight}.safetensors.resume.pt"), torch.load(f"{stopped}.safetensors.resume.pt")
    for name, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][name]), name
    changed = [*common, "--out", f"{stopped}.safetensors", "--steps", "16", "--resume"]
    changed[changed.index("--batch-size") + 1] = "8"
    assert train_main(changed) == 1
    assert "was trained with --batch-size 4 --seq-length 16" in capsys.readouterr().err


def test_bad_input_is_one_line(corpus, charrnn, capsys, tmp_path):
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("abc\n", encoding="utf-8")
    out = str(tmp_path / "m.safetensors")
    cases = [
        (["--corpus", str(tiny), "--out", out, "--steps", "1"], "one batch needs"),
        (["--corpus", str(tmp_path / "none.txt"), "--out", out, "--steps", "1"], "none.txt"),
        (["--corpus", corpus, "--out", out, "--init-from", str(tmp_path / "none.safetensors")], "no such file"),
        (["--corpus", corpus, "--out", out, "--resume"], "does not exist"),
        (["--corpus", corpus, "--out", out, "--amp", "bf16", "--device", "cpu"], "--amp bf16 is for CUDA"),
        (["--corpus", corpus, "--out", out, "--val-fraction", "0"], "nothing says when to stop"),
        (["--corpus", str(tiny), "--out", str(tiny), "--steps", "1"], "would destroy the input"),
        (["--corpus", corpus, "--out", str(tmp_path), "--steps", "1"], "not a regular file"),
    ]
    for arguments, message in cases:
        assert train_main(arguments + ["--charrnn", charrnn]) == 1
        err = capsys.readouterr().err
        assert message in err and err.strip().count("\n") == 0, err
        assert not os.path.exists(out)
    assert tiny.read_text(encoding="utf-8") == "abc\n"
    with pytest.raises(SystemExit) as exit:
        train_main(["--corpus", corpus, "--out", out, "--hidden", "0"])
    assert exit.value.code == 2 and "--hidden must be at least 1" in capsys.readouterr().err
