"""charrnn models in PyTorch: load and save them as torch modules, train them with
DistributedDataParallel (`python -m charrnn_torch.train` under torchrun), score them as `charrnn
eval` does (`python -m charrnn_torch.eval`). The text is always cut by charrnn itself (`charrnn
encode`), so both sides agree letter for letter. See docs/python.md.
"""

from .data import EncodedText, encode, find_charrnn, validation_start
from .model import CELLS, CharRNN, CharRNNError, load, nats_per_token, save
from .forecaster import Forecaster, load_forecaster
from .tutorial import SimpleRNN

__all__ = ["CELLS", "CharRNN", "CharRNNError", "EncodedText", "Forecaster", "SimpleRNN", "encode", "find_charrnn", "load",
           "load_forecaster", "nats_per_token", "save", "validation_start"]
