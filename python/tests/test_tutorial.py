"""The tutorial cell in PyTorch: a charrnn model of `--cell tutorial` loads as the tutorial's
SimpleRNN (its structure, load_state_dict(strict=True)) and gives charrnn's own scores; the
training script refuses it with one line."""

import json
import os

import torch

from conftest import charrnn_eval, close, run
from charrnn_torch import CharRNNError, SimpleRNN, load, nats_per_token
from charrnn_torch.data import encode
from charrnn_torch.train import main as train_main

NAMES = {"German": ["Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann"],
         "Italian": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"],
         "Japanese": ["Tanaka", "Suzuki", "Sato", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi"]}


def check_structure(model, n_in, hidden, n_out):
    assert type(model) is SimpleRNN
    assert [name for name, _ in model.named_parameters()] == ["i2h.weight", "i2h.bias", "i2o.weight", "i2o.bias"]
    assert model.i2h.weight.shape == (hidden, n_in + hidden) and model.i2o.weight.shape == (n_out, n_in + hidden)
    assert isinstance(model.softmax, torch.nn.LogSoftmax)


def test_a_tutorial_language_model_scores_as_charrnn_scores_it(charrnn, short_text, tmp_path):
    path = str(tmp_path / "lm.safetensors")
    run([charrnn, "train", "--corpus", short_text, "--cell", "tutorial", "--hidden", "12", "--steps", "20",
         "--seq-length", "16", "--batch-size", "4", "--out", path])
    model, meta = load(path)
    assert meta["cell"] == "tutorial" and meta["num_layers"] == 1
    check_structure(model, len(meta["vocab"]), 12, len(meta["vocab"]))
    ours = charrnn_eval(charrnn, path, short_text)
    ids = encode(short_text, charrnn=charrnn, vocab_from=path).ids
    theirs, count = nats_per_token(model, ids, chunk=500)  # the state carried across chunks
    assert ours["tokens"] == count and close(ours["nats_per_token"], theirs)


def test_a_tutorial_classifier_gives_charrnns_probabilities(charrnn, tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    for category, names in NAMES.items():
        (folder / f"{category}.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    path = str(tmp_path / "classifier.safetensors")
    run([charrnn, "train-classifier", "--data", str(folder), "--cell", "tutorial", "--hidden", "10", "--epochs", "3",
         "--val-fraction", "0.25", "--out", path])
    model, meta = load(path)
    check_structure(model, len(meta["vocab"]), 10, len(NAMES))
    queries = ["Rossi", "Tanaka", "Weber"]
    answers = json.loads(run([charrnn, "classify", "--model", path, "--format", "json", *queries]).stdout)
    index = {letter: i for i, letter in enumerate(meta["vocab"])}
    for query, answer in zip(queries, answers):
        ids = torch.tensor([[index[letter] for letter in query.lower()]]).T  # lowercased, as the classifier reads
        with torch.no_grad():
            log_probabilities, _ = model.run(ids)
        probabilities = log_probabilities[-1, 0].exp()  # the output of the last letter, as the tutorial reads it
        for prediction in answer["predictions"]:
            ours = prediction["probability"]
            theirs = probabilities[meta["categories"].index(prediction["category"])].item()
            assert abs(ours - theirs) <= 1e-5, (query, prediction, theirs)


def test_the_training_script_refuses_a_tutorial_model(charrnn, corpus, short_text, capsys, tmp_path):
    path = str(tmp_path / "lm.safetensors")
    run([charrnn, "train", "--corpus", short_text, "--cell", "tutorial", "--hidden", "8", "--steps", "2",
         "--seq-length", "16", "--batch-size", "4", "--out", path])
    out = str(tmp_path / "out.safetensors")
    assert train_main(["--corpus", corpus, "--out", out, "--init-from", path, "--steps", "1", "--charrnn", charrnn]) == 1
    err = capsys.readouterr().err
    assert "tutorial-cell model" in err and err.strip().count("\n") == 0, err
    assert not os.path.exists(out)


def test_a_tutorial_model_of_two_layers_is_refused(tmp_path):
    from safetensors.torch import save_file
    meta = {"format_version": 1, "task": "language-model", "cell": "tutorial", "hidden_size": 4, "num_layers": 2,
            "vocab": ["a", "b"]}
    path = str(tmp_path / "bad.safetensors")
    save_file({"i2h.weight": torch.zeros(4, 6)}, path, metadata={"charrnn": json.dumps(meta)})
    try:
        load(path)
    except CharRNNError as error:
        assert "one layer" in str(error)
    else:
        raise AssertionError("a two-layer tutorial model was accepted")
