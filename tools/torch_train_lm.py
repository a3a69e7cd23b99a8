#!/usr/bin/python3
"""The PyTorch side of the language-model parity check, run with Debian's python3-torch.

Trains nn.Embedding + nn.LSTM + nn.Linear on the same data, vocabulary and settings as
`lstmlens train` and prints the training and validation perplexity after every epoch. The text is read
as PyTorch's word_language_model example reads it: every line, a blank one included, is its words
followed by <eos> (of `word/TAG` items the word before the last '/' is kept); words outside the
vocabulary become <unk>. Then B contiguous columns read in windows of T steps with the state carried
(reset each epoch), mean cross-entropy, SGD, global-norm clipping, every parameter uniform in [-a, a),
validation with 10 columns.

--save-init DIR writes the freshly initialised model, before the first update, as a LstmLens model
directory (model.safetensors under PyTorch's state_dict names, config.json, and a copy of --vocab as
vocab.txt), so that `lstmlens train --init-from DIR` starts from the very same parameters and the
two sides differ only in arithmetic. tools/lm_parity.py runs both sides that way and compares them;
this script alone is the PyTorch half:

    /usr/bin/python3 tools/torch_train_lm.py --vocab VOCAB --train T --valid V --tagged --embed 64 --hidden 256 \
        --batch 20 --bptt 35 --epochs 2 --lr 1 --clip 5 --init-range 0.05 --seed 1 --threads 1 --save-init RUN/init

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

SETTINGS = [("embed", int, 64), ("hidden", int, 256), ("batch", int, 20), ("bptt", int, 35), ("epochs", int, 2),
            ("lr", float, 1.0), ("clip", float, 5.0), ("init-range", float, 0.05), ("seed", int, 1), ("threads", int, 1)]


def words_of(line, tagged):
    """The words of one line as word_language_model splits it (tags dropped from word/TAG items)."""
    words = line.split()
    return [w[:w.rindex("/")] for w in words] if tagged else words


def read(path, vocab, tagged):
    """Token ids of a file, word_language_model's convention: every line's words, then <eos>."""
    index = {w: i for i, w in enumerate(vocab)}
    unknown, eos = index["<unk>"], index["<eos>"]
    ids = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            ids += [index.get(w, unknown) for w in words_of(line, tagged)] + [eos]
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


def train(a, vocab_path, train_ids, valid_ids, save_init_to=None):
    """Trains with the settings of `a` (SETTINGS' names); yields (train perplexity, valid perplexity, tokens/s) per epoch."""
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    vocab = open(vocab_path, encoding="utf-8").read().split("\n")[:-1]
    data, valid = columns(train_ids, a.batch), columns(valid_ids, 10)
    encoder, rnn, decoder = nn.Embedding(len(vocab), a.embed), nn.LSTM(a.embed, a.hidden), nn.Linear(a.hidden, len(vocab))
    params = [*encoder.parameters(), *rnn.parameters(), *decoder.parameters()]
    for t in params:
        nn.init.uniform_(t, -a.init_range, a.init_range)
    if save_init_to:
        save_init(save_init_to, vocab_path, vocab, encoder, rnn, decoder)
    opt = torch.optim.SGD(params, lr=a.lr)
    loss_f = nn.CrossEntropyLoss()

    def run(inputs, state):
        out, state = rnn(encoder(inputs), state)
        return decoder(out), state

    for _ in range(a.epochs):
        state, start, tokens, total = None, time.perf_counter(), 0, 0.0
        for i in range(0, data.size(0) - 1, a.bptt):
            steps = min(a.bptt, data.size(0) - 1 - i)
            state = None if state is None else tuple(s.detach() for s in state)
            opt.zero_grad()
            logits, state = run(data[i:i + steps], state)
            loss = loss_f(logits.view(-1, len(vocab)), data[i + 1:i + 1 + steps].reshape(-1))
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
        yield math.exp(total / tokens), math.exp(vsum / vcount), tokens / elapsed


def add_settings(parser):
    """The training settings shared with tools/lm_parity.py, as options."""
    for name, kind, default in SETTINGS:
        parser.add_argument("--" + name, type=kind, default=default)


def main():
    p = argparse.ArgumentParser()
    for name in ["vocab", "train", "valid"]:
        p.add_argument("--" + name, required=True)
    add_settings(p)
    p.add_argument("--save-init", default="")
    p.add_argument("--tagged", action="store_true")
    a = p.parse_args()
    vocab = open(a.vocab, encoding="utf-8").read().split("\n")[:-1]
    train_ids, valid_ids = read(a.train, vocab, a.tagged), read(a.valid, vocab, a.tagged)
    for epoch, (train_ppl, valid_ppl, speed) in enumerate(train(a, a.vocab, train_ids, valid_ids, a.save_init), 1):
        print(f"epoch {epoch}: train perplexity {train_ppl:.2f}  valid perplexity {valid_ppl:.2f}  {speed:,.0f} tokens/s", flush=True)


if __name__ == "__main__":
    main()
