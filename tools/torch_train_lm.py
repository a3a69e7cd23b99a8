#!/usr/bin/python3
"""The PyTorch side of the language-model parity check, run with Debian's python3-torch.

Trains nn.Embedding + nn.LSTM + nn.Linear on the same data, vocabulary and settings as
`lstmlens train` and prints the validation perplexity after every epoch. Same conventions as
LstmLens: <eos> after every line, blank lines included (word_language_model's reader), words
outside the vocabulary -> <unk>, B contiguous columns read in windows of T steps with the state carried (reset each epoch), mean cross-entropy, SGD,
global-norm clipping, every parameter uniform in [-a, a), validation with 10 columns.

--save-init DIR writes the freshly initialised model, before the first update, as a LstmLens model
directory (model.safetensors under PyTorch's state_dict names, config.json, and a copy of --vocab as
vocab.txt), so that `lstmlens train --init-from DIR` starts from the very same parameters and the
two sides differ only in arithmetic. The parity recipe (T, V: training and validation text):

    # 1. the vocabulary: every lstmlens run writes vocab.txt before its first update (an earlier run on
    #    the same data and --max-vocab, or this one stopped with Ctrl+C once the file is there)
    lstmlens train --train T --valid V --format tagged --max-vocab 10000 --epochs 1 --out RUN/vocab-run
    # 2. PyTorch, saving its initial parameters
    /usr/bin/python3 tools/torch_train_lm.py --vocab RUN/vocab-run/vocab.txt --train T --valid V --tagged \
        --embed 64 --hidden 256 --batch 20 --bptt 35 --epochs 2 --lr 1 --clip 5 --init-range 0.05 --seed 1 \
        --threads 1 --save-init RUN/init
    # 3. LstmLens from the same parameters
    lstmlens train --train T --valid V --format tagged --max-vocab 10000 --embed 64 --hidden 256 \
        --batch 20 --bptt 35 --epochs 2 --lr 1 --clip 5 --init-range 0.05 --init-from RUN/init --out RUN/lstmlens

Without --save-init / --init-from the two sides draw their initial parameters independently (the
seed-to-seed spread).
"""
import argparse
import json
import math
import pathlib
import shutil
import sys
import time

import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_fixtures import write_safetensors  # noqa: E402


def read(path, vocab, tagged):
    index = {w: i for i, w in enumerate(vocab)}
    ids = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if tagged:
                words = [w[:w.rindex("/")] for w in words]
            ids += [index.get(w, 0) for w in words] + [index["<eos>"]]
    return torch.tensor(ids, dtype=torch.int64)


def columns(ids, batch):
    n = ids.numel() // batch
    return ids[:n * batch].view(batch, n).t().contiguous()


def save_init(directory, vocab_path, vocab, encoder, rnn, decoder):
    """Writes the parameters as a LstmLens model directory (the layout tools/torch_interop.py writes)."""
    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {f"{prefix}.{name}": t for prefix, module in [("encoder", encoder), ("rnn", rnn), ("decoder", decoder)]
               for name, t in module.state_dict().items()}
    write_safetensors(out / "model.safetensors", tensors, {"format": "pt"})
    config = {"model": {"cell": "lstm", "input": "embedding", "input_size": len(vocab), "embedding_size": encoder.embedding_dim,
                        "hidden_size": rnn.hidden_size, "num_layers": rnn.num_layers, "head": "per_step_softmax",
                        "output_size": len(vocab)}}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    shutil.copyfile(vocab_path, out / "vocab.txt")
    print(f"initial parameters saved to {out}", flush=True)


def main():
    p = argparse.ArgumentParser()
    for name, kind, default in [("vocab", str, None), ("train", str, None), ("valid", str, None), ("embed", int, 64),
                                ("hidden", int, 256), ("batch", int, 20), ("bptt", int, 35), ("epochs", int, 2),
                                ("lr", float, 1.0), ("clip", float, 5.0), ("init-range", float, 0.05), ("seed", int, 1),
                                ("threads", int, 2), ("save-init", str, "")]:
        p.add_argument("--" + name, type=kind, default=default, required=default is None)
    p.add_argument("--tagged", action="store_true")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    vocab = open(a.vocab, encoding="utf-8").read().split("\n")[:-1]
    train, valid = columns(read(a.train, vocab, a.tagged), a.batch), columns(read(a.valid, vocab, a.tagged), 10)
    encoder, rnn, decoder = nn.Embedding(len(vocab), a.embed), nn.LSTM(a.embed, a.hidden), nn.Linear(a.hidden, len(vocab))
    params = [*encoder.parameters(), *rnn.parameters(), *decoder.parameters()]
    for t in params:
        nn.init.uniform_(t, -a.init_range, a.init_range)
    if a.save_init:
        save_init(a.save_init, a.vocab, vocab, encoder, rnn, decoder)
    opt = torch.optim.SGD(params, lr=a.lr)
    loss_f = nn.CrossEntropyLoss()

    def run(data, state):
        out, state = rnn(encoder(data), state)
        return decoder(out), state

    for epoch in range(a.epochs):
        state, start, tokens, total = None, time.perf_counter(), 0, 0.0
        for i in range(0, train.size(0) - 1, a.bptt):
            steps = min(a.bptt, train.size(0) - 1 - i)
            state = None if state is None else tuple(s.detach() for s in state)
            opt.zero_grad()
            logits, state = run(train[i:i + steps], state)
            loss = loss_f(logits.view(-1, len(vocab)), train[i + 1:i + 1 + steps].reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(params, a.clip)
            opt.step()
            tokens += steps * a.batch
            total += loss.item() * steps * a.batch
        elapsed = time.perf_counter() - start
        with torch.no_grad():
            state, vsum, vcount = None, 0.0, 0
            for i in range(0, valid.size(0) - 1, a.bptt):
                steps = min(a.bptt, valid.size(0) - 1 - i)
                logits, state = run(valid[i:i + steps], state)
                vsum += nn.functional.cross_entropy(logits.view(-1, len(vocab)), valid[i + 1:i + 1 + steps].reshape(-1), reduction="sum").item()
                vcount += steps * 10
        print(f"epoch {epoch + 1}: train perplexity {math.exp(total / tokens):.2f}  valid perplexity {math.exp(vsum / vcount):.2f}  "
              f"{tokens / elapsed:,.0f} tokens/s", flush=True)


if __name__ == "__main__":
    main()
