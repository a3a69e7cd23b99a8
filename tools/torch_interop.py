#!/usr/bin/python3
"""Checkpoint interop between PyTorch and LstmLens, run with Debian's python3-torch.

    /usr/bin/python3 tools/torch_interop.py make
        Builds nn.Embedding + 2-layer nn.LSTM + nn.Linear (the word_language_model shape), saves it as a
        LstmLens model directory (model.safetensors with PyTorch's state_dict names, config.json,
        vocab.txt) under tests/LstmLens.Tests/Fixtures/torch_lm/, and records in expected.safetensors
        its logits on a few sentences and its perplexity on a token stream read the way
        `lstmlens eval` reads one (batch 2, windows of 5, state carried). The test
        TorchInteropTests loads the directory with LstmLens and matches both.

    /usr/bin/python3 tools/torch_interop.py check RUN_DIR TEXT [--batch 10 --bptt 35]
        Loads a model directory written by `lstmlens train` into PyTorch modules (strict state_dict
        load) and prints the perplexity of TEXT, to compare with `lstmlens eval --model RUN_DIR --data TEXT`.
"""
import argparse
import json
import math
import pathlib
import struct
import sys

import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_fixtures import write_safetensors  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "LstmLens.Tests" / "Fixtures" / "torch_lm"
WORDS = ["the", "cat", "dog", "sat", "on", "mat", "a", "ran"]
SENTENCES = ["the cat sat on the mat", "a dog ran", "the dog sat on a cat"]
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class LanguageModel(nn.Module):
    def __init__(self, cell, vocab, embed, hidden, layers):
        super().__init__()
        self.encoder = nn.Embedding(vocab, embed)
        self.rnn = CELLS[cell](embed, hidden, num_layers=layers)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, inputs, state=None):
        output, state = self.rnn(self.encoder(inputs), state)
        return self.decoder(output), state


def read_safetensors(path):
    data = pathlib.Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        tensors[name] = torch.frombuffer(raw, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def stream_ids(sentences, vocab):
    index = {w: i for i, w in enumerate(vocab)}
    ids = []
    for s in sentences:
        ids += [index.get(w, index["<unk>"]) for w in s.split()] + [index["<eos>"]]
    return torch.tensor(ids, dtype=torch.int64)


def perplexity(model, ids, batch, bptt):
    """Mean cross-entropy over B contiguous columns read in windows of bptt, state carried (as LstmLens)."""
    n = ids.numel() // batch
    data = ids[:n * batch].view(batch, n).t().contiguous()
    state, total, count = None, 0.0, 0
    with torch.no_grad():
        for i in range(0, n - 1, bptt):
            steps = min(bptt, n - 1 - i)
            logits, state = model(data[i:i + steps], state)
            total += nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), data[i + 1:i + 1 + steps].reshape(-1), reduction="sum").item()
            count += steps * batch
    return math.exp(total / count)


def make():
    torch.manual_seed(7)
    vocab = ["<unk>", "<eos>"] + WORDS
    model = LanguageModel("lstm", len(vocab), 6, 5, 2).eval()
    OUT.mkdir(parents=True, exist_ok=True)
    write_safetensors(OUT / "model.safetensors", dict(model.state_dict()), {"format": "pt"})
    config = {"model": {"cell": "lstm", "input": "embedding", "input_size": len(vocab), "embedding_size": 6,
                        "hidden_size": 5, "num_layers": 2, "head": "per_step_softmax", "output_size": len(vocab)}}
    (OUT / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (OUT / "vocab.txt").write_text("\n".join(vocab) + "\n")
    ids = stream_ids(SENTENCES, vocab)
    with torch.no_grad():
        logits, _ = model(ids.view(-1, 1))
    expected = {"inputs": ids, "logits": logits.reshape(ids.numel(), -1),
                "perplexity": torch.tensor([perplexity(model, ids, 2, 5)], dtype=torch.float64)}
    write_safetensors(OUT / "expected.safetensors", expected, {"batch": "2", "bptt": "5"})
    print(f"wrote {OUT}; perplexity {expected['perplexity'].item():.6f}")


def check(run, text, batch, bptt):
    config = json.loads((pathlib.Path(run) / "config.json").read_text())["model"]
    vocab = (pathlib.Path(run) / "vocab.txt").read_text().split("\n")[:-1]
    model = LanguageModel(config["cell"], config["input_size"], config["embedding_size"], config["hidden_size"], config["num_layers"])
    model.load_state_dict(read_safetensors(pathlib.Path(run) / "model.safetensors"), strict=True)
    ids = stream_ids([line for line in pathlib.Path(text).read_text().split("\n") if line.split()], vocab)
    print(f"PyTorch perplexity {perplexity(model.eval(), ids, batch, bptt):.3f} over {(ids.numel() // batch - 1) * batch} predicted tokens")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("make")
    c = sub.add_parser("check")
    c.add_argument("run")
    c.add_argument("text")
    c.add_argument("--batch", type=int, default=10)
    c.add_argument("--bptt", type=int, default=35)
    args = parser.parse_args()
    make() if args.command == "make" else check(args.run, args.text, args.batch, args.bptt)
