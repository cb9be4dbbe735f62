"""python -m charrnn_torch.eval gives `charrnn eval`'s score, flags and JSON document, on models
trained here in PyTorch: graphemes with unknown letters, and words (cut by ICU, in charrnn)."""

import json

import pytest

from conftest import charrnn_eval, close, module, run
from charrnn_torch.eval import main as eval_main
from charrnn_torch.train import main as train_main


def in_process(capsys, *arguments):
    """charrnn_torch.eval's main, run here (a new Python would spend seconds importing torch)."""
    status = eval_main([str(a) for a in arguments])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out, err


@pytest.fixture(scope="module")
def trained(corpus, charrnn, tmp_path_factory):
    """Two models trained a few steps by charrnn_torch.train: a GRU on graphemes with the
    vocabulary capped (so with an unknown token), and an Elman RNN on ICU words."""
    folder = tmp_path_factory.mktemp("eval")
    models = {}
    for name, flags in (("graphemes", ["--cell", "gru", "--max-vocab", "30"]), ("words", ["--unit", "word", "--case", "lower"])):
        path = str(folder / f"{name}.safetensors")
        assert train_main(["--corpus", corpus, "--out", path, "--hidden", "16", "--batch-size", "4", "--seq-length", "16",
                           "--steps", "6", "--eval-every", "3", "--threads", "1", "--charrnn", charrnn, *flags]) == 0
        models[name] = path
    return models


@pytest.mark.parametrize("name", ["graphemes", "words"])
@pytest.mark.parametrize("flags", [[], ["--held-out", "0.1"], ["--held-out", "0.3", "--max-tokens", "200"]])
def test_same_score_and_document_as_charrnn_eval(name, flags, trained, corpus, charrnn, capsys):
    model = trained[name]
    expected = charrnn_eval(charrnn, model, corpus, *flags)
    out, err = in_process(capsys, model, corpus, "--format", "json", "--charrnn", charrnn, *flags)
    got = json.loads(out)
    assert sorted(got) == sorted(expected) == ["bits_per_token", "nats_per_token", "perplexity", "tokens"]
    assert got["tokens"] == expected["tokens"]
    for key in ("nats_per_token", "bits_per_token", "perplexity"):
        assert close(got[key], expected[key]), (key, got[key], expected[key])
    if name == "graphemes" and not flags:
        assert "outside the vocabulary" in err  # as charrnn notes it
    text = in_process(capsys, model, corpus, "--charrnn", charrnn, *flags)[0]
    reference = run([charrnn, "eval", "--model", model, "--text", corpus, *flags]).stdout
    assert text.split(",")[0] == reference.split(",")[0]  # "FILE: N tokens scored"


def test_the_best_model_records_the_held_out_score(trained, corpus, charrnn):
    """Validation in training is `eval --held-out` with the run's --val-fraction (0.05)."""
    info = json.loads(run([charrnn, "info", "--model", trained["words"], "--format", "json"]).stdout)
    score = charrnn_eval(charrnn, trained["words"], corpus, "--held-out", "0.05")
    assert close(info["training"]["val_nats_per_token"], score["nats_per_token"])


def test_errors_are_one_line(trained, corpus, environment, charrnn, capsys, tmp_path):
    """As a command (python -m), with exit status 1 and one line; the others in this process."""
    missing = module("eval", str(tmp_path / "none.safetensors"), corpus, env=environment, check=False)
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0 and "no such file" in missing.stderr
    (tmp_path / "one.txt").write_text("a", encoding="utf-8")
    (tmp_path / "unknown.txt").write_text("a\u0416b", encoding="utf-8")
    for arguments, message in (([trained["graphemes"], corpus, "--held-out", "1.5"], "--held-out must be in (0, 1)"),
                               ([trained["graphemes"], str(tmp_path / "one.txt")], "at least two letters"),
                               ([trained["words"], str(tmp_path / "unknown.txt")], "not in the model's vocabulary")):
        assert eval_main(arguments + ["--charrnn", charrnn]) == 1
        err = capsys.readouterr().err
        assert message in err and err.strip().count("\n") == 0, err
