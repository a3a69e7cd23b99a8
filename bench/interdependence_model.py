#!/usr/bin/python3
"""Writes the benchmark model of bench/interdependence.sh: an LSTM language model with PyTorch's default initialisation,
embedding 256, one layer of 256, vocabulary of 10,000 (<unk>, <eos>, the words of the given CoNLL-U file by frequency,
then filler tokens), as a LstmLens model directory (config.json, model.safetensors, vocab.txt). Speed does not depend
on training, so the model is not trained.

    /usr/bin/python3 bench/interdependence_model.py EWT_DEV.conllu OUT_DIR
"""
import collections
import json
import pathlib
import struct
import sys

import torch
from torch import nn

VOCAB, EMBED, HIDDEN = 10_000, 256, 256


def main(conllu, out):
    counts = collections.Counter()
    for line in pathlib.Path(conllu).read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) == 10 and columns[0].isdigit():
            counts[columns[1]] += 1
    words = ["<unk>", "<eos>"] + [w for w, _ in counts.most_common(VOCAB - 2)]
    words += [f"<filler{i}>" for i in range(VOCAB - len(words))]
    torch.manual_seed(1)
    tensors = {"encoder.weight": nn.Embedding(VOCAB, EMBED).weight}
    tensors.update({f"rnn.{k}": v for k, v in nn.LSTM(EMBED, HIDDEN).state_dict().items()})
    tensors.update({f"decoder.{k}": v for k, v in nn.Linear(HIDDEN, VOCAB).state_dict().items()})
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        blob = tensor.detach().float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    (out / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    config = {"model": {"cell": "lstm", "input": "embedding", "input_size": VOCAB, "embedding_size": EMBED,
                        "hidden_size": HIDDEN, "num_layers": 1, "head": "per_step_softmax", "output_size": VOCAB}}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(f"{out}: LSTM {HIDDEN}, vocabulary {VOCAB} ({len(counts)} words of {conllu})")


if __name__ == "__main__":
    main(*sys.argv[1:])
