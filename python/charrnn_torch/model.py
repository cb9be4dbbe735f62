"""charrnn model files as PyTorch modules: `load` and `save`.

A charrnn model (docs/model-format.md) is a safetensors file holding the tensors of one
`nn.RNN` (tanh) / `nn.LSTM` / `nn.GRU` under the name `rnn` and one `nn.Linear` under the name
`decoder` (or, for a language model with `"decoder": {"kind": "adaptive", ...}` in its metadata,
one `nn.AdaptiveLogSoftmaxWithLoss`), with a JSON description in `__metadata__["charrnn"]`.
`CharRNN` is exactly that module, so `load_state_dict(strict=True)` takes a model file's tensors
as they are.
"""

import json
import math
import os

import torch
from safetensors import safe_open
from safetensors.torch import save_file

# The model format's `cell` names and the PyTorch modules they are.
CELLS = {"rnn_tanh": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
# The command line's names (`--cell rnn`) for the format's.
CELL_OPTIONS = {"rnn": "rnn_tanh", "lstm": "lstm", "gru": "gru"}
TASKS = ("language-model", "classifier", "conditional-generator")
# The 2017 PyTorch tutorial's SimpleRNN (tutorial.py): its own module, not a `CharRNN`.
TUTORIAL = "tutorial"
FORMAT_VERSION = 1
MAX_HIDDEN_SIZE = 65_536
MAX_LAYERS = 64


class CharRNNError(Exception):
    """A file, module or setting charrnn_torch cannot use; the message is one line for people."""


class CharRNN(torch.nn.Module):
    """A recurrent network on one-hot inputs and a linear decoder: charrnn's model.

    `rnn` reads one-hot vectors of `input_size` (the vocabulary, or categories then vocabulary
    for a conditional generator); `decoder` maps the top layer's hidden state to `output_size`
    logits. Tensor names are charrnn's: `rnn.weight_ih_l0`, …, `decoder.weight`, `decoder.bias`.
    """

    def __init__(self, cell, input_size, hidden_size, num_layers, output_size, dropout=0.0, decoder=None):
        """`decoder`: None for `nn.Linear`, or the metadata's adaptive decoder
        (`{"kind": "adaptive", "cutoffs": [...], "div_value": 4}`) for
        `nn.AdaptiveLogSoftmaxWithLoss(hidden_size, output_size, cutoffs, div_value)`."""
        super().__init__()
        if cell not in CELLS:
            raise CharRNNError(f"unknown cell {cell!r}; charrnn has {', '.join(CELLS)}")
        self.cell = cell
        self.input_size = input_size
        extra = {"nonlinearity": "tanh"} if cell == "rnn_tanh" else {}
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers=num_layers,
                               dropout=dropout if num_layers > 1 else 0.0, **extra)
        if decoder is None:
            self.decoder = torch.nn.Linear(hidden_size, output_size)
        else:
            self.decoder = torch.nn.AdaptiveLogSoftmaxWithLoss(
                hidden_size, output_size, list(decoder["cutoffs"]), div_value=float(decoder.get("div_value", 4.0)))

    def forward(self, ids, state=None):
        """ids: [T, B] token ids (long); state: the carried (h) or (h, c), each [L, B, H], or
        None for zeros. Returns logits [T, B, Out] and the new state. With an adaptive decoder
        the "logits" are its full log-probabilities (`log_prob`): their softmax is the same
        distribution, so cross-entropy and sampling treat both kinds alike."""
        x = torch.nn.functional.one_hot(ids, self.input_size).to(self.rnn.weight_hh_l0.dtype)
        out, state = self.rnn(x, state)
        if isinstance(self.decoder, torch.nn.AdaptiveLogSoftmaxWithLoss):
            return self.decoder.log_prob(out.reshape(-1, out.shape[-1])).reshape(*out.shape[:-1], -1), state
        return self.decoder(out), state


def sizes(meta):
    """The network's input and output sizes that a model's metadata implies."""
    vocab, categories = len(meta["vocab"]), len(meta.get("categories") or [])
    n_in = categories + vocab if meta["task"] == "conditional-generator" else vocab
    n_out = categories if meta["task"] == "classifier" else vocab
    return n_in, n_out


def check_metadata(meta, where):
    """The required keys and their ranges, as charrnn checks them first (ModelMetadata.swift);
    charrnn itself checks the rest (tokenization of each entry) when it reads the file."""
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CharRNNError(f"{where}: \"format_version\" is missing or not an integer")
    if version > FORMAT_VERSION:
        raise CharRNNError(f"{where}: format version {version}; this charrnn_torch reads version {FORMAT_VERSION}: "
                           "upgrade charrnn_torch")
    if version < 1:
        raise CharRNNError(f"{where}: format version {version} is not valid")
    for key, kind in (("task", str), ("cell", str), ("hidden_size", int), ("num_layers", int), ("vocab", list)):
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            raise CharRNNError(f"{where}: \"{key}\" is missing or not a{'n integer' if kind is int else ' ' + kind.__name__}")
    if meta["task"] not in TASKS:
        raise CharRNNError(f"{where}: task {meta['task']!r} is not one of {', '.join(TASKS)}")
    if meta["cell"] not in CELLS and meta["cell"] != TUTORIAL:
        raise CharRNNError(f"{where}: cell {meta['cell']!r} is not one of {', '.join(CELLS)}, {TUTORIAL}")
    if meta["cell"] == TUTORIAL and meta["num_layers"] != 1:
        raise CharRNNError(f"{where}: a tutorial cell has one layer, not {meta['num_layers']}")
    if not 1 <= meta["hidden_size"] <= MAX_HIDDEN_SIZE:
        raise CharRNNError(f"{where}: hidden_size {meta['hidden_size']} is outside 1 … {MAX_HIDDEN_SIZE}")
    if not 1 <= meta["num_layers"] <= MAX_LAYERS:
        raise CharRNNError(f"{where}: num_layers {meta['num_layers']} is outside 1 … {MAX_LAYERS}")
    if not meta["vocab"] or not all(isinstance(t, str) for t in meta["vocab"]):
        raise CharRNNError(f"{where}: \"vocab\" must be a non-empty list of strings")
    if meta.get("normalization", "NFC") != "NFC":
        raise CharRNNError(f"{where}: normalization {meta['normalization']!r}; only NFC is known: upgrade charrnn_torch")
    for key in ("unknown_token", "end_token"):
        value = meta.get(key)
        if value is not None and not (isinstance(value, int) and 0 <= value < len(meta["vocab"])):
            raise CharRNNError(f"{where}: \"{key}\" is {value!r}, not an index of vocab")
    categories = meta.get("categories") or []
    if meta["task"] == "language-model" and categories:
        raise CharRNNError(f"{where}: a language-model has no categories, but {len(categories)} are given")
    if meta["task"] != "language-model" and not categories:
        raise CharRNNError(f"{where}: a {meta['task']} needs categories")
    if meta["task"] == "conditional-generator" and meta.get("end_token") is None:
        raise CharRNNError(f"{where}: a conditional-generator needs an end_token")
    if meta["task"] != "conditional-generator" and meta.get("end_token") is not None:
        raise CharRNNError(f"{where}: only a conditional-generator has an end_token")
    decoder = meta.get("decoder")
    if decoder is not None:
        if not isinstance(decoder, dict) or decoder.get("kind") != "adaptive":
            raise CharRNNError(f"{where}: \"decoder\" is {decoder!r}; the only kind known is \"adaptive\"")
        if meta["task"] != "language-model":
            raise CharRNNError(f"{where}: only a language-model may have an adaptive decoder")
        cutoffs, v = decoder.get("cutoffs"), len(meta["vocab"])
        if (not isinstance(cutoffs, list) or not cutoffs or not all(type(c) is int for c in cutoffs)
                or cutoffs != sorted(set(cutoffs)) or cutoffs[0] < 1 or cutoffs[-1] >= v):
            raise CharRNNError(f"{where}: the decoder's cutoffs {cutoffs!r} must be increasing integers from 1 to "
                               f"{v - 1} (below the vocabulary size)")
        div = decoder.get("div_value", 4.0)
        if type(div) not in (int, float) or not div > 0 or not math.isfinite(div):
            raise CharRNNError(f"{where}: the decoder's div_value {div!r} must be a positive number")


def read_metadata(path):
    """The `charrnn` metadata of a model file, checked."""
    try:
        with safe_open(path, framework="pt") as f:
            header = f.metadata() or {}
    except FileNotFoundError:
        raise CharRNNError(f"{path}: no such file") from None
    except Exception as error:  # safetensors raises its own error types for a bad container
        raise CharRNNError(f"{path}: not a safetensors file ({error})") from None
    if "charrnn" not in header:
        raise CharRNNError(f"{path}: no \"charrnn\" entry in the safetensors metadata, so it is not a charrnn model")
    try:
        meta = json.loads(header["charrnn"], object_pairs_hook=_refuse_repeated_keys)
    except ValueError as error:
        raise CharRNNError(f"{path}: the charrnn metadata is not valid JSON ({error})") from None
    if not isinstance(meta, dict):
        raise CharRNNError(f"{path}: the charrnn metadata is not a JSON object")
    check_metadata(meta, path)
    return meta


def _refuse_repeated_keys(pairs):
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"the key {key!r} appears twice")
    return dict(pairs)


def load(path, device="cpu"):
    """A charrnn model file as a `CharRNN` module (in eval mode) and its metadata (a dict); a
    tutorial-cell model as a `SimpleRNN` (tutorial.py).

    Only the `rnn.*` and `decoder.*` tensors (`i2h.*`, `i2o.*`) are read (a resume file's other
    tensors are ignored, as charrnn ignores them), with `load_state_dict(strict=True)`: every
    tensor the module has must be there, in its shape.
    """
    meta = read_metadata(path)
    n_in, n_out = sizes(meta)
    if meta["cell"] == TUTORIAL:
        from .tutorial import SimpleRNN
        model, prefixes = SimpleRNN(n_in, meta["hidden_size"], n_out), ("i2h.", "i2o.")
    else:
        model = CharRNN(meta["cell"], n_in, meta["hidden_size"], meta["num_layers"], n_out, decoder=meta.get("decoder"))
        prefixes = ("rnn.", "decoder.")
    with safe_open(path, framework="pt") as f:
        tensors = {name: f.get_tensor(name) for name in f.keys() if name.startswith(prefixes)}
    for name, tensor in tensors.items():
        if tensor.dtype != torch.float32:
            raise CharRNNError(f"{path}: tensor {name!r} is {tensor.dtype}; a charrnn model holds float32")
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        reason = " ".join(str(error).split())
        raise CharRNNError(f"{path}: its tensors do not fit its metadata ({reason})") from None
    return model.to(device).eval(), meta


def _module_cell(rnn):
    """The format's cell name of a PyTorch recurrent module, or an error saying why it has none."""
    for name, kind in CELLS.items():
        if type(rnn) is kind:
            break
    else:
        raise CharRNNError(f"module.rnn is a {type(rnn).__name__}; charrnn models are nn.RNN (tanh), nn.LSTM or nn.GRU")
    if name == "rnn_tanh" and rnn.nonlinearity != "tanh":
        raise CharRNNError("module.rnn is an nn.RNN with nonlinearity 'relu'; charrnn's Elman cell is tanh")
    if not rnn.bias:
        raise CharRNNError("module.rnn has bias=False; every charrnn layer has both biases")
    if rnn.bidirectional:
        raise CharRNNError("module.rnn is bidirectional; charrnn models run forwards only")
    if getattr(rnn, "proj_size", 0):
        raise CharRNNError("module.rnn is an LSTM with proj_size; charrnn's LSTM has no projection")
    return name


def save(module, metadata, path):
    """Writes `module` (with `.rnn` and `.decoder`, a `CharRNN` or a DDP wrapper of one) and
    `metadata` as a charrnn model file, atomically (a temporary file renamed over `path`).

    The module decides `cell`, `hidden_size` and `num_layers`; `metadata` gives the rest
    (`vocab`, `task`, and the optional keys), and every required key is written. Sizes are
    checked against the vocabulary and categories, and every value must be finite, so charrnn
    accepts the file.
    """
    module = getattr(module, "module", module)  # DistributedDataParallel wraps the model
    rnn, decoder = getattr(module, "rnn", None), getattr(module, "decoder", None)
    adaptive = isinstance(decoder, torch.nn.AdaptiveLogSoftmaxWithLoss)
    if adaptive and decoder.head_bias:
        raise CharRNNError("module.decoder is an nn.AdaptiveLogSoftmaxWithLoss with head_bias=True; charrnn's has none")
    if rnn is None or not (adaptive or isinstance(decoder, torch.nn.Linear) and decoder.bias is not None):
        raise CharRNNError("the module needs .rnn (nn.RNN, nn.LSTM or nn.GRU) and .decoder (nn.Linear with a bias, "
                           "or nn.AdaptiveLogSoftmaxWithLoss)")
    meta = {"format_version": FORMAT_VERSION, "task": "language-model", "unit": "grapheme", "normalization": "NFC",
            "case": "preserve", "unknown_token": None, "end_token": None, "categories": [], "training": {}}
    meta.update(metadata)
    meta["format_version"] = FORMAT_VERSION
    meta["cell"] = _module_cell(rnn)
    meta["hidden_size"], meta["num_layers"] = int(rnn.hidden_size), int(rnn.num_layers)
    meta["training"] = meta.get("training") or {}
    meta.pop("decoder", None)  # the module decides it
    if adaptive:
        meta["decoder"] = {"kind": "adaptive", "cutoffs": [int(c) for c in decoder.cutoffs[:-1]],
                           "div_value": float(decoder.div_value)}
    check_metadata(meta, "the metadata")
    n_in, n_out = sizes(meta)
    out_features = decoder.n_classes if adaptive else decoder.out_features
    if rnn.input_size != n_in or decoder.in_features != rnn.hidden_size or out_features != n_out:
        raise CharRNNError(f"the module's sizes (input {rnn.input_size}, output {out_features}) are not the "
                           f"{meta['task']}'s with this vocabulary (input {n_in}, output {n_out})")
    tensors = {}
    for part, sub in (("rnn", rnn), ("decoder", decoder)):
        for name, tensor in sub.state_dict().items():
            tensor = tensor.detach().to("cpu", torch.float32).contiguous()
            if not torch.isfinite(tensor).all():
                raise CharRNNError(f"tensor {part}.{name} holds a NaN or infinity; charrnn refuses such a model "
                                   "(the training diverged)")
            tensors[f"{part}.{name}"] = tensor
    text = json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        save_file(tensors, temporary, metadata={"charrnn": text})
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return meta


def nats_per_token(model, ids, chunk=4096):
    """A language model's mean cross-entropy (nats per token) on `ids` as `charrnn eval`
    scores a text: one stream from a zero state, ids 0 … N−2 fed and 1 … N−1 scored; the state
    is carried between chunks of `chunk` steps. Returns (nats, scored count)."""
    model = getattr(model, "module", model)
    ids = torch.as_tensor(ids, dtype=torch.long)
    scored = len(ids) - 1
    if scored < 1:
        return 0.0, 0
    device = next(model.parameters()).device
    total, state = 0.0, None
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, scored, chunk):
            end = min(start + chunk, scored)
            x = ids[start:end].to(device).unsqueeze(1)
            y = ids[start + 1:end + 1].to(device)
            if hasattr(model, "i2o"):  # the tutorial cell's SimpleRNN gives log-probabilities
                log_probabilities, state = model.run(x, state)
                total += torch.nn.functional.nll_loss(log_probabilities[:, 0].double(), y, reduction="sum").item()
                continue
            logits, state = model(x, state)
            total += torch.nn.functional.cross_entropy(logits[:, 0].double(), y, reduction="sum").item()
    model.train(was_training)
    return total / scored, scored


def perplexity_report(nats, tokens):
    """The numbers of `charrnn eval --format json`."""
    return {"bits_per_token": nats / math.log(2), "nats_per_token": nats, "perplexity": math.exp(nats),
            "tokens": tokens}
