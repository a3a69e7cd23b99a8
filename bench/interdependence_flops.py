#!/usr/bin/python3
"""Matrix-product FLOPs of `lstmlens interdependence` over a CoNLL-U file (one-layer LSTM, pairs up to distance 5,
target offset 0, in-phrase policy), counted from the pass plan the library uses: every eligible word's own lane runs
from the word to its last pair's target, every pair's lane one step; each lane step multiplies its two rows (beta,
gamma) by W_hh (2 x 2*H*4H); the true pass costs 2*(E+H)*4H per word; every logit norm is one row times the Gram matrix
(2*H^2), four per pair plus two per checked (lane, target); the Gram matrix itself 2*V*H^2.

    bench/interdependence_flops.py FILE.conllu EMBED HIDDEN VOCAB
"""
import sys

OPEN_CLOSED = set("ADJ ADV INTJ NOUN PROPN VERB ADP AUX CCONJ DET NUM PART PRON SCONJ".split())


def sentences(path):
    upos = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if upos:
                yield upos
            upos = []
        elif not line.startswith("#"):
            columns = line.split("\t")
            if columns[0].isdigit():
                upos.append(columns[3])
    if upos:
        yield upos


def main(path, embed, hidden, vocab):
    e, h, v = int(embed), int(hidden), int(vocab)
    lane_steps = words = pairs = checks = 0
    for upos in sentences(path):
        words += len(upos)
        eligible = [i for i, tag in enumerate(upos) if tag in OPEN_CLOSED]
        sentence_pairs = [(l, r) for l in eligible for r in eligible if 0 < r - l < 5]
        pairs += len(sentence_pairs)
        end = {}
        for l, r in sentence_pairs:
            end[l] = max(end.get(l, r), r)
            end[r] = max(end.get(r, r), r)
        lane_steps += sum(last - p + 1 for p, last in end.items()) + len(sentence_pairs)
        checks += len({(l, r) for l, r in sentence_pairs} | {(r, r) for _, r in sentence_pairs}) + len(sentence_pairs)
    flops = lane_steps * 2 * 2 * h * 4 * h + words * 2 * (e + h) * 4 * h + (4 * pairs + 2 * checks) * 2 * h * h + 2 * v * h * h
    print(flops)


if __name__ == "__main__":
    main(*sys.argv[1:])
