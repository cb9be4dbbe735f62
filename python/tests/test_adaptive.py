"""The adaptive-softmax decoder across the two programs: a model charrnn trains with
--decoder adaptive loads into PyTorch as an nn.AdaptiveLogSoftmaxWithLoss (strict), and both
score a text the same; a module saved here is read and scored by charrnn alike; the PyTorch
fixtures of the Swift tests load; charrnn_torch.train refuses to fine-tune one."""

import json
import os

import pytest
import torch

from conftest import ROOT, charrnn_eval, close, module, run
from charrnn_torch import CharRNN, CharRNNError, load, nats_per_token, save
from charrnn_torch.data import encode

FIXTURES = os.path.join(ROOT, "Tests/ModelTests/Fixtures")


def test_the_swift_fixture_loads_as_pytorchs_module():
    model, meta = load(os.path.join(FIXTURES, "adaptive_gru_l2.model.safetensors"))
    assert isinstance(model.decoder, torch.nn.AdaptiveLogSoftmaxWithLoss)
    assert meta["decoder"] == {"kind": "adaptive", "cutoffs": [8, 20], "div_value": 2.0}
    assert model.decoder.cutoffs == [8, 20, 40] and model.decoder.head_bias is False
    names = set(model.state_dict())
    assert {"decoder.head.weight", "decoder.tail.0.0.weight", "decoder.tail.0.1.weight",
            "decoder.tail.1.0.weight", "decoder.tail.1.1.weight"} <= names


def test_charrnn_adaptive_model_in_pytorch(charrnn, corpus, short_text, tmp_path):
    path = str(tmp_path / "adaptive.safetensors")
    run([charrnn, "train", "--corpus", corpus, "--out", path, "--decoder", "adaptive", "--cutoffs", "8,20",
         "--hidden", "24", "--steps", "30", "--batch-size", "8", "--seq-length", "16", "--threads", "1"])
    info = json.loads(run([charrnn, "info", "--model", path, "--format", "json"]).stdout)
    assert info["decoder"] == {"kind": "adaptive", "cutoffs": [8, 20], "div_value": 4}

    model, meta = load(path)  # load_state_dict(strict=True) into nn.AdaptiveLogSoftmaxWithLoss
    assert isinstance(model.decoder, torch.nn.AdaptiveLogSoftmaxWithLoss)
    assert info["parameters"] == sum(p.numel() for p in model.parameters())
    ids = encode(short_text, charrnn=charrnn, vocab_from=path).ids
    ours, count = nats_per_token(model, ids)
    theirs = charrnn_eval(charrnn, path, short_text)
    assert theirs["tokens"] == count
    assert close(ours, theirs["nats_per_token"]), (ours, theirs["nats_per_token"])

    # The full distribution PyTorch's log_prob gives is what charrnn generates from: it sums to 1.
    with torch.no_grad():
        logp, _ = model(torch.as_tensor(ids[:50]).unsqueeze(1))
    assert torch.allclose(logp.exp().sum(-1), torch.ones(50, 1), atol=1e-5)


def test_pytorch_adaptive_module_to_charrnn(charrnn, corpus, short_text, tmp_path):
    vocab_model = str(tmp_path / "vocab.safetensors")
    run([charrnn, "train", "--corpus", corpus, "--out", vocab_model, "--hidden", "8", "--steps", "1",
         "--batch-size", "2", "--seq-length", "8", "--threads", "1"])
    _, vocab_meta = load(vocab_model)
    v = len(vocab_meta["vocab"])
    torch.manual_seed(3)
    model = CharRNN("lstm", v, 16, 2, v, decoder={"kind": "adaptive", "cutoffs": [5, 15, 30], "div_value": 2})
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3)
    path = str(tmp_path / "torch-adaptive.safetensors")
    meta = save(model, {"vocab": vocab_meta["vocab"], "unknown_token": vocab_meta.get("unknown_token")}, path)
    assert meta["decoder"] == {"kind": "adaptive", "cutoffs": [5, 15, 30], "div_value": 2.0}
    ids = encode(short_text, charrnn=charrnn, vocab_from=path).ids
    ours, _ = nats_per_token(model, ids)
    assert close(ours, charrnn_eval(charrnn, path, short_text)["nats_per_token"])
    back, _ = load(path)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), back.state_dict().values()))

    with pytest.raises(CharRNNError, match="head_bias"):
        bad = CharRNN("gru", v, 16, 1, v)
        bad.decoder = torch.nn.AdaptiveLogSoftmaxWithLoss(16, v, [5], head_bias=True)
        save(bad, {"vocab": vocab_meta["vocab"]}, str(tmp_path / "bad.safetensors"))


def test_metadata_cutoffs_are_checked():
    from charrnn_torch.model import check_metadata
    meta = {"format_version": 1, "task": "language-model", "cell": "rnn_tanh", "hidden_size": 4, "num_layers": 1,
            "vocab": ["a", "b", "c", "d"], "decoder": {"kind": "adaptive", "cutoffs": [2, 4]}}
    with pytest.raises(CharRNNError, match="below the vocabulary size"):
        check_metadata(meta, "m")
    meta["decoder"]["cutoffs"] = [2, 3]
    check_metadata(meta, "m")
    meta["decoder"]["kind"] = "tied"
    with pytest.raises(CharRNNError, match="adaptive"):
        check_metadata(meta, "m")


def test_train_script_refuses_to_fine_tune_an_adaptive_model(environment, corpus, tmp_path):
    result = module("train", "--corpus", corpus, "--out", tmp_path / "out.safetensors", "--init-from",
                    os.path.join(FIXTURES, "adaptive_rnn_l1.model.safetensors"), "--steps", "1",
                    env=environment, check=False)
    assert result.returncode != 0 and "adaptive decoder" in result.stderr, result.stderr
