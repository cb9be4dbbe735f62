"""The tutorial cell (`cell: "tutorial"`): the 2017 PyTorch char-RNN classification tutorial's
SimpleRNN, as a module whose structure and tensor names are the tutorial's own.

A charrnn model of this cell holds `i2h.weight` [H, In + H], `i2h.bias` [H], `i2o.weight`
[Out, In + H] and `i2o.bias` [Out]; `SimpleRNN` takes them with `load_state_dict(strict=True)`.
Its `forward(input, hidden)` is one step, exactly the tutorial's (the output reads the input and
the *previous* hidden state; the hidden update is linear); `run` feeds a whole batch of id
sequences the same way.
"""

import torch


class SimpleRNN(torch.nn.Module):
    """The tutorial's network: two `nn.Linear` over [input, hidden] and a LogSoftmax."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.i2h = torch.nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = torch.nn.Linear(input_size + hidden_size, output_size)
        self.softmax = torch.nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        """input: [B, In] one-hot rows; hidden: [B, H]. Returns (log-probabilities [B, Out], the
        new hidden state [B, H])."""
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)  # no nonlinearity
        output = self.softmax(self.i2o(combined))
        return output, hidden

    def init_hidden(self, batch=1):
        return torch.zeros(batch, self.hidden_size, device=self.i2h.weight.device)

    def run(self, ids, hidden=None):
        """ids: [T, B] token ids (long). Returns log-probabilities [T, B, Out] (step t's output
        predicts what follows id t in a language model; a classifier reads a name's last step)
        and the hidden state after the last step."""
        hidden = self.init_hidden(ids.shape[1]) if hidden is None else hidden
        outputs = []
        for t in range(ids.shape[0]):
            x = torch.nn.functional.one_hot(ids[t], self.input_size).to(self.i2h.weight.dtype)
            output, hidden = self(x, hidden)
            outputs.append(output)
        return torch.stack(outputs), hidden
