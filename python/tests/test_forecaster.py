"""load_forecaster: charrnn's shipped forecaster as an nn.RNN + nn.Linear predicts what `charrnn
forecast` prints, and a language model is refused."""

import json
import os

import pytest

from conftest import ROOT, close, run
from charrnn_torch import CharRNNError, load_forecaster
from charrnn_torch.forecaster import predict

MODEL = os.path.join(ROOT, "Models/sunspots-forecaster.safetensors")
CSV = os.path.join(ROOT, "Corpora/series/sunspots.csv")


def test_shipped_forecaster_agrees_with_charrnn(charrnn):
    model, meta = load_forecaster(MODEL)
    assert meta["forecast"]["lookback"] == 24 and model.decoder.weight.shape == (1, 64)
    with open(CSV) as f:
        series = [float(line.split(",")[1]) for line in f.read().splitlines()[1:]]
    out = run([charrnn, "forecast", "--model", MODEL, "--csv", CSV, "--steps", "3", "--format", "json"])
    theirs = json.loads(out.stdout)["forecast"]
    ours, window = [], list(series)
    for _ in range(3):
        value = predict(model, meta, window)[0]
        ours.append(value)
        window.append(value)
    for a, b in zip(ours, theirs):
        assert close(a, b, 1e-4), (ours, theirs)


def test_a_language_model_is_not_a_forecaster():
    with pytest.raises(CharRNNError, match="not a forecaster"):
        load_forecaster(os.path.join(ROOT, "Models/kjv.safetensors"))


def test_change_target_forecaster_agrees_with_charrnn(charrnn):
    model_path = os.path.join(ROOT, "Models/co2-forecaster.safetensors")
    csv_path = os.path.join(ROOT, "Corpora/series/co2-monthly.csv")
    model, meta = load_forecaster(model_path)
    assert meta["forecast"]["target"] == "change"
    series = []
    with open(csv_path) as f:
        for line in f.read().splitlines()[1:]:
            cell = line.split(",")[1]
            series.append(float(cell) if cell else series[-1])  # --fill previous
    out = run([charrnn, "forecast", "--model", model_path, "--csv", csv_path, "--fill", "previous", "--steps", "2",
               "--format", "json"])
    theirs = json.loads(out.stdout)["forecast"]
    first = predict(model, meta, series)[0]
    second = predict(model, meta, series + [first])[0]
    assert close(first, theirs[0], 1e-5) and close(second, theirs[1], 1e-5), ([first, second], theirs)
