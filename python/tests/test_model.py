"""load and save: charrnn files become modules and modules become charrnn files, for every cell
and 1–2 layers, with the same logits; charrnn itself reads what save writes and scores it as
PyTorch does; what charrnn could not read is refused."""

import json
import os

import pytest
import torch
from safetensors.torch import load_file, save_file

from conftest import RELATIVE, charrnn_eval, close, run
from charrnn_torch import CharRNN, CharRNNError, load, nats_per_token, save
from charrnn_torch.data import encode

CELLS = ["rnn", "lstm", "gru"]
FORMAT_CELLS = {"rnn": "rnn_tanh", "lstm": "lstm", "gru": "gru"}
# Reserved tokens, a combining-free accented letter and a CJK one: one grapheme each.
VOCAB = ["\n", "\ufffd", " ", "a", "b", "c", "é", "春"]
SAMPLE = "abc é春\nbca  cab\n\nécab a\n"


def logits(model, ids):
    with torch.no_grad():
        return model(torch.as_tensor(ids).unsqueeze(1))[0][:, 0]


def random_ids(n, size, seed):
    return torch.randint(0, size, (n,), generator=torch.Generator().manual_seed(seed)).tolist()


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_pytorch_module_to_charrnn_and_back(cell, layers, charrnn, tmp_path):
    torch.manual_seed(7)
    model = CharRNN(FORMAT_CELLS[cell], len(VOCAB), 12, layers, len(VOCAB))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3)  # weights large enough that the cell's nonlinearities matter
    path = str(tmp_path / "m.safetensors")
    save(model, {"vocab": VOCAB, "unknown_token": 1, "training": {"note": "PyTorch"}}, path)

    info = json.loads(run([charrnn, "info", "--model", path, "--format", "json"]).stdout)
    assert info["cell"] == FORMAT_CELLS[cell] and info["num_layers"] == layers and info["hidden_size"] == 12
    assert info["parameters"] == sum(p.numel() for p in model.parameters())
    assert info["unknown_token"] == 1 and info["training"] == {"note": "PyTorch"}

    back, meta = load(path)
    ids = random_ids(200, len(VOCAB), 1)
    assert torch.max(torch.abs(logits(back, ids) - logits(model, ids))).item() <= RELATIVE
    assert meta["vocab"] == VOCAB

    # charrnn runs the file's network as PyTorch runs the module: the same mean loss on a text.
    text = tmp_path / "sample.txt"
    text.write_text(SAMPLE, encoding="utf-8")
    ours = charrnn_eval(charrnn, path, str(text))
    ids = encode(str(text), charrnn=charrnn, vocab_from=path).ids
    theirs, count = nats_per_token(model, ids)
    assert ours["tokens"] == count == len(SAMPLE) - 1
    assert close(ours["nats_per_token"], theirs)
    run([charrnn, "generate", "--model", path, "--length", "20", "--rng-seed", "1"])


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_charrnn_model_to_pytorch_and_back(cell, layers, charrnn, corpus, short_text, tmp_path):
    path = str(tmp_path / "trained.safetensors")
    run([charrnn, "train", "--corpus", corpus, "--out", path, "--cell", cell, "--layers", str(layers), "--hidden", "10",
         "--batch-size", "2", "--seq-length", "8", "--steps", "3", "--val-fraction", "0", "--threads", "1"])
    model, meta = load(path)
    assert meta["cell"] == FORMAT_CELLS[cell] and meta["num_layers"] == layers
    again = str(tmp_path / "again.safetensors")
    save(model, meta, again)
    original, copy = load_file(path), load_file(again)
    assert sorted(original) == sorted(copy)
    for name in original:
        assert torch.equal(original[name], copy[name]), name
    reloaded, meta_again = load(again)
    assert meta_again == meta
    ids = random_ids(150, len(meta["vocab"]), 2)
    assert torch.max(torch.abs(logits(reloaded, ids) - logits(model, ids))).item() <= RELATIVE

    # Both files score a text alike in charrnn, and as PyTorch scores it.
    a, b = charrnn_eval(charrnn, path, short_text), charrnn_eval(charrnn, again, short_text)
    assert a["tokens"] == b["tokens"] and close(a["nats_per_token"], b["nats_per_token"])
    theirs, count = nats_per_token(model, encode(short_text, charrnn=charrnn, vocab_from=path).ids)
    assert count == a["tokens"] and close(a["nats_per_token"], theirs)


def test_what_charrnn_cannot_read_is_refused(tmp_path):
    out = str(tmp_path / "m.safetensors")
    vocab = {"vocab": VOCAB}

    def module(rnn, decoder=None):
        m = torch.nn.Module()
        m.rnn, m.decoder = rnn, decoder or torch.nn.Linear(rnn.hidden_size, len(VOCAB))
        return m

    cases = [
        (module(torch.nn.RNN(len(VOCAB), 4, nonlinearity="relu")), vocab, "relu"),
        (module(torch.nn.GRU(len(VOCAB), 4, bias=False)), vocab, "bias=False"),
        (module(torch.nn.LSTM(len(VOCAB), 4, bidirectional=True), torch.nn.Linear(8, len(VOCAB))), vocab, "bidirectional"),
        (module(torch.nn.LSTM(len(VOCAB), 4, proj_size=2), torch.nn.Linear(2, len(VOCAB))), vocab, "proj_size"),
        (module(torch.nn.GRU(len(VOCAB) + 1, 4)), vocab, "sizes"),
        (module(torch.nn.GRU(len(VOCAB), 4)), {"vocab": VOCAB, "end_token": 0}, "only a conditional-generator"),
        (module(torch.nn.GRU(len(VOCAB), 4)), {"vocab": VOCAB, "unknown_token": 8}, "not an index of vocab"),
        (module(torch.nn.GRU(len(VOCAB), 4)), {"vocab": []}, "non-empty list"),
        (torch.nn.Linear(3, 3), vocab, "needs .rnn"),
    ]
    for m, meta, message in cases:
        with pytest.raises(CharRNNError, match=message):
            save(m, meta, out)
        assert not os.path.exists(out)
    diverged = module(torch.nn.GRU(len(VOCAB), 4))
    with torch.no_grad():
        diverged.rnn.weight_hh_l0[1, 2] = float("nan")
    with pytest.raises(CharRNNError, match="NaN or infinity"):
        save(diverged, vocab, out)

    good = CharRNN("gru", len(VOCAB), 4, 1, len(VOCAB))
    save(good, vocab, out)
    tensors = load_file(out)
    bare = str(tmp_path / "bare.safetensors")
    save_file(tensors, bare)
    with pytest.raises(CharRNNError, match="no \"charrnn\" entry"):
        load(bare)
    for change, message in (({"format_version": 2}, "upgrade charrnn_torch"), ({"hidden_size": 5}, "do not fit"),
                            ({"cell": "lstm"}, "do not fit"), ({"task": "poem"}, "not one of")):
        meta = dict(load(out)[1], **change)
        save_file(tensors, bare, metadata={"charrnn": json.dumps(meta)})
        with pytest.raises(CharRNNError, match=message):
            load(bare)
    (tmp_path / "junk.safetensors").write_bytes(b"not a model")
    with pytest.raises(CharRNNError, match="not a safetensors file"):
        load(str(tmp_path / "junk.safetensors"))
    with pytest.raises(CharRNNError, match="no such file"):
        load(str(tmp_path / "missing.safetensors"))
