#!/usr/bin/python3
"""Golden tensors from PyTorch for LstmLens's fixture tests (tests/LstmLens.Tests/Model/PyTorchFixtureTests.cs).

For each of nn.LSTM, nn.GRU and nn.RNN (tanh) this builds the word-language-model shape
nn.Embedding(V=11, E=5) -> 2-layer recurrent network (H=6) -> nn.Linear(6, 11), runs one batch of
3 sequences x 7 steps from a random initial state, scores every step with cross-entropy (mean) and
writes, in float32 (token ids in int64), to tests/LstmLens.Tests/Fixtures/{lstm,gru,rnn}.safetensors:

  encoder.weight, rnn.weight_ih_l0 ... decoder.bias   parameters, PyTorch state_dict names
  inputs [T, B], targets [T, B]                        token ids (int64)
  initial_h [L, B, H] (initial_c for LSTM)             initial state
  logits [T, B, V], loss [1]                           outputs
  final_h [L, B, H] (final_c for LSTM)                 final state
  grad.<parameter>, grad.initial_h (grad.initial_c)    gradients of the loss

The safetensors file is written by hand (struct + json), following the format: 8-byte little-endian
header length, JSON header padded with spaces to a multiple of 8, then the tensors' bytes back to back.
The tests never run this script; it is committed so the fixtures can be regenerated:

    /usr/bin/python3 tools/make_fixtures.py        (Debian's python3-torch)
"""
import json
import pathlib
import struct

import torch
from torch import nn

VOCAB, EMBED, HIDDEN, LAYERS, BATCH, STEPS = 11, 5, 6, 2, 3, 7
SEED = 20240607
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}  # nn.RNN's default nonlinearity is tanh
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "LstmLens.Tests" / "Fixtures"


class LanguageModel(nn.Module):
    """The shape of PyTorch's word_language_model example, so state_dict names match LstmLens's."""

    def __init__(self, cell):
        super().__init__()
        self.encoder = nn.Embedding(VOCAB, EMBED)
        self.rnn = CELLS[cell](EMBED, HIDDEN, num_layers=LAYERS)
        self.decoder = nn.Linear(HIDDEN, VOCAB)

    def forward(self, inputs, state):
        output, final = self.rnn(self.encoder(inputs), state)
        return self.decoder(output), final


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} in insertion order with string metadata."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, tensor in tensors.items():
        blob = tensor.detach().contiguous().cpu().numpy().tobytes()  # little-endian on every platform we run
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def make(cell):
    torch.manual_seed(SEED)
    model = LanguageModel(cell)
    inputs = torch.randint(0, VOCAB, (STEPS, BATCH))
    targets = torch.randint(0, VOCAB, (STEPS, BATCH))
    state_names = ["h", "c"] if cell == "lstm" else ["h"]
    initial = {s: torch.randn(LAYERS, BATCH, HIDDEN, requires_grad=True) for s in state_names}

    logits, final = model(inputs, (initial["h"], initial["c"]) if cell == "lstm" else initial["h"])
    final = dict(zip(state_names, final if cell == "lstm" else (final,)))
    loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    loss.backward()

    tensors = dict(model.state_dict())
    tensors["inputs"] = inputs
    tensors["targets"] = targets
    tensors.update({f"initial_{s}": initial[s] for s in state_names})
    tensors["logits"] = logits
    tensors["loss"] = loss.reshape(1)
    tensors.update({f"final_{s}": final[s] for s in state_names})
    tensors.update({f"grad.{name}": p.grad for name, p in model.named_parameters()})
    tensors.update({f"grad.initial_{s}": initial[s].grad for s in state_names})
    metadata = {"cell": cell, "generator": "tools/make_fixtures.py", "torch": torch.__version__, "seed": str(SEED),
                "loss": "cross_entropy mean over all T*B steps"}
    path = OUT / f"{cell}.safetensors"
    write_safetensors(path, tensors, metadata)
    print(f"{path}: loss {loss.item():.6f}, {len(tensors)} tensors")


if __name__ == "__main__":
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in CELLS:
        make(name)
