"""Shared helpers: the charrnn binary (from $CHARRNN, else the repository's .build), running it
and the package's commands, and small corpora cut from Corpora/kjv.txt."""

import json
import os
import subprocess
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_DIR = os.path.join(ROOT, "python")
sys.path.insert(0, PYTHON_DIR)  # the package as it is in the clone (PYTHONPATH=python), installed or not
torch.set_num_threads(1)  # tiny models: threads only cost time, and CI shares its cores
RELATIVE = 1e-5  # every agreement between charrnn and PyTorch is checked to this relative tolerance


def close(a, b, tolerance=RELATIVE):
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


@pytest.fixture(scope="session")
def charrnn():
    """The charrnn binary the tests drive: $CHARRNN, else .build/release, else .build/debug."""
    for candidate in (os.environ.get("CHARRNN"), os.path.join(ROOT, ".build/release/charrnn"),
                      os.path.join(ROOT, ".build/debug/charrnn")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("no charrnn binary: build it (swift build --product charrnn) or set CHARRNN")


@pytest.fixture(scope="session")
def environment(charrnn):
    """The environment for the package's commands: the package importable, charrnn found."""
    env = dict(os.environ, CHARRNN=charrnn, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run(command, env=None, check=True):
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return result


def module(name, *arguments, env, check=True):
    """python -m charrnn_torch.NAME ARGUMENTS."""
    return run([sys.executable, "-m", f"charrnn_torch.{name}", *map(str, arguments)], env=env, check=check)


def charrnn_eval(binary, model, text, *extra):
    out = run([binary, "eval", "--model", model, "--text", text, "--format", "json", *extra]).stdout
    return json.loads(out)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The first 12,000 characters of the King James Bible, from a line start."""
    with open(os.path.join(ROOT, "Corpora/kjv.txt"), encoding="utf-8") as f:
        text = f.read(12_000)
    path = tmp_path_factory.mktemp("corpus") / "kjv-small.txt"
    path.write_text(text[:text.rindex("\n") + 1], encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def short_text(corpus, tmp_path_factory):
    """The first 2,000 characters of that, from a line start: what the debug charrnn scores quickly."""
    with open(corpus, encoding="utf-8") as f:
        text = f.read(2_000)
    path = tmp_path_factory.mktemp("short") / "kjv-short.txt"
    path.write_text(text[:text.rindex("\n") + 1], encoding="utf-8")
    return str(path)
