#!/usr/bin/python3
"""LstmLens against PyTorch, trained from the same initial parameters: per-epoch perplexities side by side.

For every seed, PyTorch (Debian's python3-torch, tools/torch_train_lm.py) draws the initial parameters,
writes them as a model directory and trains; `lstmlens train --init-from` then trains from exactly those
parameters with the same data, vocabulary and settings (SGD, no dropout, global-norm clip, state carried
across windows, validation with 10 columns). Both sides read the text as PyTorch's word_language_model
does, every line followed by <eos>; the script stops with an error if LstmLens reports other token
counts. The vocabulary is built here by LstmLens's documented rule (<unk>, <eos>, then training words by
descending count, ties in order of first appearance, --max-vocab entries in all); `--init-from` refuses a
vocabulary that is not the one LstmLens builds, so a difference cannot pass unnoticed.

Prints, per seed, each epoch's training and validation perplexity of both sides and their difference, then
(with several seeds) a Markdown table of means, standard deviations and ranges over the seeds. Example
(Brown splits from tools/brown_splits.sh):

    /usr/bin/python3 tools/lm_parity.py --train brown/train.txt --valid brown/valid.txt --tagged --max-vocab 10000 \
        --embed 64 --hidden 256 --batch 20 --bptt 35 --epochs 2 --seeds 1,2,3,4,5 --work runs/parity

--lstmlens is the command that runs the CLI (default: the Release build of this checkout).
"""
import argparse
import collections
import json
import math
import pathlib
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import torch_train_lm  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_CLI = f"dotnet {ROOT / 'src/LstmLens.Cli/bin/Release/net10.0/LstmLens.Cli.dll'}"


def build_vocabulary(path, tagged, max_size):
    """LstmLens's Vocabulary.Build over the training file."""
    counts = collections.Counter()  # insertion order = first appearance; sorted() below is stable
    with open(path, encoding="utf-8") as f:
        for line in f:
            counts.update(w for w in torch_train_lm.words_of(line, tagged) if w not in ("<unk>", "<eos>"))
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: -kv[1])]
    return ["<unk>", "<eos>"] + words[:None if max_size is None else max_size - 2]


def lstmlens(a, seed, init, out):
    """Runs `lstmlens train` from the parameters in `init`; returns its token counts and per-epoch (train, valid) perplexities."""
    shutil.rmtree(out, ignore_errors=True)
    command = shlex.split(a.lstmlens) + [
        "train", "--train", a.train, "--valid", a.valid, "--format", "tagged" if a.tagged else "text",
        "--embed", str(a.embed), "--hidden", str(a.hidden), "--batch", str(a.batch), "--bptt", str(a.bptt),
        "--epochs", str(a.epochs), "--lr", str(a.lr), "--clip", str(a.clip), "--init-range", str(a.init_range),
        "--seed", str(seed), "--threads", str(a.threads), "--init-from", str(init), "--out", str(out)]
    if a.max_vocab is not None:
        command += ["--max-vocab", str(a.max_vocab)]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        sys.exit(f"lm_parity: lstmlens train exited {run.returncode}: {(run.stderr or run.stdout).strip()}")
    counts = re.search(r"corpus: ([\d,]+) training tokens, ([\d,]+) validation tokens", run.stdout + run.stderr)
    if counts is None:
        sys.exit("lm_parity: lstmlens train did not report its token counts")
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    epochs = [(r["train_perplexity"], r["valid_perplexity"]) for r in records if r["end_of_epoch"]]
    return tuple(int(c.replace(",", "")) for c in counts.groups()), epochs


def child_cpu_seconds():
    """User and system CPU time of the finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def spread(values, digits=2):
    """mean ± standard deviation (min–max) of a list of numbers."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", required=True)
    p.add_argument("--valid", required=True)
    p.add_argument("--tagged", action="store_true", help="word/TAG items (Brown); the words are modelled")
    p.add_argument("--max-vocab", type=int)
    torch_train_lm.add_settings(p)
    p.add_argument("--seeds", default="1", help="comma-separated seeds (--seed is ignored)")
    p.add_argument("--work", default="runs/parity", help="directory for the vocabulary, initial parameters and runs")
    p.add_argument("--lstmlens", default=DEFAULT_CLI)
    a = p.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)

    vocab_path = work / "vocab.txt"
    vocab = build_vocabulary(a.train, a.tagged, a.max_vocab)
    vocab_path.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    train_ids, valid_ids = torch_train_lm.read(a.train, vocab, a.tagged), torch_train_lm.read(a.valid, vocab, a.tagged)
    print(f"PyTorch {torch_train_lm.torch.__version__}, Python {platform.python_version()}, {platform.processor() or platform.machine()}; "
          f"lstmlens: {a.lstmlens}; {train_ids.numel():,} training and {valid_ids.numel():,} validation tokens, vocabulary {len(vocab):,}", flush=True)
    print(f"settings: embedding {a.embed}, LSTM {a.hidden}, batch {a.batch}, BPTT {a.bptt}, {a.epochs} epochs, SGD lr {a.lr}, "
          f"clip {a.clip}, init ±{a.init_range}, no dropout, {a.threads} thread(s) per side", flush=True)

    results = []  # per seed: per epoch (ours train, torch train, ours valid, torch valid)
    for seed in seeds:
        a.seed = seed
        init = work / f"seed{seed}" / "init"
        started = time.process_time()
        torch_epochs = list(torch_train_lm.train(a, vocab_path, train_ids, valid_ids, save_init_to=init))
        torch_seconds = time.process_time() - started
        children = child_cpu_seconds()
        (train_count, valid_count), ours = lstmlens(a, seed, init, work / f"seed{seed}" / "lstmlens")
        lstmlens_seconds = child_cpu_seconds() - children
        if (train_count, valid_count) != (train_ids.numel(), valid_ids.numel()):
            sys.exit(f"lm_parity: LstmLens read {train_count:,} training and {valid_count:,} validation tokens, word_language_model's "
                     f"convention gives {train_ids.numel():,} and {valid_ids.numel():,}: the two sides do not read the same text")
        rows = [(o[0], t[0], o[1], t[1]) for o, t in zip(ours, torch_epochs)]
        results.append(rows)
        print(f"\nseed {seed} (CPU time: PyTorch {torch_seconds:.0f} s, LstmLens {lstmlens_seconds:.0f} s)")
        print("| epoch | LstmLens train ppl | PyTorch train ppl | difference | LstmLens valid ppl | PyTorch valid ppl | difference |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for epoch, (ot, tt, ov, tv) in enumerate(rows, 1):
            print(f"| {epoch} | {ot:.2f} | {tt:.2f} | {100 * (ot / tt - 1):+.3f} % | {ov:.2f} | {tv:.2f} | {100 * (ov / tv - 1):+.3f} % |", flush=True)

    print(f"\nover seeds {a.seeds}: mean ± standard deviation (min–max); difference = LstmLens / PyTorch − 1 of the same seed, in %")
    print("| epoch | LstmLens train ppl | PyTorch train ppl | train difference % | LstmLens valid ppl | PyTorch valid ppl | valid difference % |")
    print("|---:|---|---|---|---|---|---|")
    for epoch in range(a.epochs):
        column = [[r[epoch][k] for r in results] for k in range(4)]
        train_diff = [100 * (o / t - 1) for o, t in zip(column[0], column[1])]
        valid_diff = [100 * (o / t - 1) for o, t in zip(column[2], column[3])]
        print(f"| {epoch + 1} | {spread(column[0])} | {spread(column[1])} | {spread(train_diff, 3)} | "
              f"{spread(column[2])} | {spread(column[3])} | {spread(valid_diff, 3)} |")
    if not math.isfinite(sum(sum(row) for rows in results for row in rows)):
        sys.exit("lm_parity: a perplexity is not finite")


if __name__ == "__main__":
    main()
