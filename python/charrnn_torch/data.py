"""Text as charrnn tokenizes it: `charrnn encode` writes the ids and the vocabulary, Python
reads them. Nothing here segments text; the held-out rule works on ids only.
"""

import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

from .model import CharRNNError


def find_charrnn(given=None):
    """The charrnn binary: `given` (--charrnn PATH), else $CHARRNN, else `charrnn` on PATH."""
    candidate = given or os.environ.get("CHARRNN") or shutil.which("charrnn")
    if not candidate:
        raise CharRNNError("charrnn is not on PATH; build it (swift build -c release --product charrnn) and give "
                           "--charrnn PATH or put it on PATH")
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise CharRNNError(f"{candidate} is not an executable charrnn binary")
    return candidate


class EncodedText:
    """A text as token ids (numpy int64) with the description `charrnn encode` wrote: the
    vocabulary and the model metadata the text decides (`metadata`), the id of "\\n" (`newline`),
    and the letters that became the unknown token (`unknown`)."""

    def __init__(self, ids, description):
        self.ids = ids
        self.description = description
        self.metadata = description["metadata"]
        self.newline = description["newline"]
        self.unknown = description["unknown"]
        self.replacements = description["replacements"]

    def validation_start(self, fraction):
        return validation_start(self.ids, fraction, self.newline)


def encode(corpus, charrnn=None, vocab_from=None, unit=None, case=None, max_vocab=None, min_count=None,
           lossy=False):
    """Runs `charrnn encode` on `corpus` (with a model's vocabulary, or building one as `charrnn
    train` does) and reads what it wrote. charrnn's error message becomes a CharRNNError."""
    binary = find_charrnn(charrnn)
    with tempfile.TemporaryDirectory(prefix="charrnn-encode-") as folder:
        ids_path, json_path = os.path.join(folder, "text.ids"), os.path.join(folder, "text.json")
        command = [binary, "encode", "--corpus", corpus, "--ids", ids_path, "--json", json_path]
        if vocab_from:
            command += ["--vocab-from", vocab_from]
        for flag, value in (("--unit", unit), ("--case", case), ("--max-vocab", max_vocab), ("--min-count", min_count)):
            if value is not None:
                command += [flag, str(value)]
        if lossy:
            command.append("--lossy")
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            message = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit status {run.returncode}"
            raise CharRNNError(message.removeprefix("Error: "))
        with open(json_path, encoding="utf-8") as f:
            description = json.load(f)
        if description.get("format") != "charrnn-encoded-corpus" or description.get("version") != 1:
            raise CharRNNError(f"{binary} wrote an encoding this charrnn_torch does not know; use the same versions")
        if description.get("dtype") != "uint32-le":
            raise CharRNNError(f"{binary} wrote ids of type {description.get('dtype')}; uint32-le was expected")
        ids = np.fromfile(ids_path, dtype="<u4").astype(np.int64)
    if len(ids) != description["tokens"]:
        raise CharRNNError(f"charrnn encode wrote {len(ids)} ids but described {description['tokens']}")
    return EncodedText(ids, description)


def validation_start(ids, fraction, newline):
    """Where the held-out part of a text starts, by charrnn's rule (Training/Validation.swift):
    the last `fraction` of the ids, from the first paragraph start (a token after two newline
    tokens) past the cut, else the first line start past it, else the cut itself."""
    n = len(ids)
    if not fraction > 0 or n == 0:
        return n
    cut = min(n, max(1, int((1 - fraction) * float(n))))
    if newline is None:
        return cut
    newlines = np.flatnonzero(np.asarray(ids[max(cut, 2) - 1:n - 1]) == newline) + max(cut, 2)  # i with ids[i-1] == \n
    for i in newlines:
        if ids[i - 2] == newline:
            return int(i)
    return int(newlines[0]) if len(newlines) else cut
