#!/usr/bin/python3
"""Golden fixtures from PyTorch for the state-gradient analysis (mean input-to-state Jacobians by delay).

Regenerate with Debian's python3-torch (the tests never run Python; they read the committed files):

    /usr/bin/python3 tools/make_state_gradient_fixtures.py

Definitions
-----------
The analysed text is one continuous stream of N = 16 token ids, run from a zero initial state (every
layer's h and c zero), batch 1. For a state s (c or h of layer L; GRU and RNN have only h) and a delay tau,

    G_{u,tau} = d s_{u+tau} / d e_u                                   [H, E]

is the exact Jacobian of the state after position u+tau with respect to the input vector e_u entering
the first recurrent layer at position u, along the real trajectory: the embedding row encoder.weight[token_u]
for embedding models (E = embedding_size), the one-hot vector of token_u for one-hot models (E = V).
Rows are state units, columns input features. A group is a set of start positions u, and

    mean_tau(group) = (1 / count_tau) * sum of G_{u,tau} over u in group with u + tau < N    (signed)
    count_tau(group) = number of such u

Groups: "all" (u = 0..N-1), "word" (u with tokens[u] == WORD), "positions" (u in POSITIONS).
Every count of every group, plain and reset, is at least 1 (the script asserts it), so no mean is empty.

Reset variant (lstm model only): the state (h and c of every layer) is set to zero after each <eos> position
is processed: s_p at an <eos> position p is computed as usual from the state before it, and position p+1
starts from zero. The trajectory, hence every Jacobian, is that of the reset run, and a pair (u, u+tau) is
left out of the mean (and the count) when a reset lies between them, i.e. when some <eos> position p has
u <= p < u+tau. So an <eos> start position counts only at tau = 0, and a pair counts exactly when u and u+tau
lie in the same segment (segments end at, and include, each <eos>).

Parameters are drawn with PyTorch's default initialisation from a fixed seed and stored as float32; the
expected values are computed in float64 from those float32 values cast to float64 (exact), with
torch.autograd.functional.jacobian over the whole stream (no finite differences), so a float64 LstmLens
computation from model.safetensors should match to ~1e-10. Before writing, the script checks the
Jacobians against central finite differences in float64, the step-by-step run against nn.LSTM/GRU/RNN over
the whole stream, causality (d s_t / d e_u = 0 for u > t) and, in the reset run, exact zeros across resets.

Layout (tests/LstmLens.Tests/Fixtures/state_gradients/)
-------------------------------------------------------
  lstm/     embedding (E=4) -> 2-layer nn.LSTM (H=5) -> nn.Linear; states c and h; with the reset variant
  gru/      embedding (E=4) -> 2-layer nn.GRU  (H=5) -> nn.Linear; state h
  rnn/      embedding (E=4) -> 2-layer nn.RNN tanh (H=5) -> nn.Linear; state h
  onehot/   one-hot (E=V=9) -> 1-layer nn.LSTM (H=5) -> nn.Linear; states c and h
each holding a LstmLens model directory (the conventions of Fixtures/torch_lm):
  config.json         {"model": {cell, input, input_size, [embedding_size], hidden_size, num_layers, head, output_size}}
  vocab.txt           one token per line, line number = id: <unk>, <eos>, then the 7 words
  model.safetensors   float32 parameters under PyTorch's state_dict names: encoder.weight [V, E] (embedding
                      models only), rnn.weight_ih_l{k} [G*H, in], rnn.weight_hh_l{k} [G*H, H], rnn.bias_ih_l{k} [G*H],
                      rnn.bias_hh_l{k} [G*H] (G = 4 LSTM, 3 GRU, 1 RNN), decoder.weight [V, H], decoder.bias [V]
  expected.safetensors, with T = 6 delays (tau = 0..5), H = 5, E = 4 (embedding) or 9 (one-hot):
    tokens                           [N]        int64    the token stream (ids of vocab.txt)
    word                             [1]        int64    the id defining the "word" group
    positions                        [P]        int64    the start positions of the "positions" group
    count.{group}                    [T]        int64    count_tau(group), tau = 0..5, plain run
    mean.{group}.l{layer}.{state}    [T, H, E]  float64  mean_tau(group) for that state, plain run
    state.l{layer}.{state}           [N, H]     float64  the plain run's state after each position (for debugging)
    reset.count.{group}              [T]        int64    lstm only: counts of the reset variant
    reset.mean.{group}.l{layer}.{state} [T, H, E] float64 lstm only: means of the reset variant
    reset.state.l{layer}.{state}     [N, H]     float64  lstm only: the reset run's state after each position
  with group in {all, word, positions}, layer in {0, 1} (onehot: 0) and state in {c, h} (gru, rnn: h).
  The header's __metadata__ records the generator, torch version, seed, cell, input kind, stream and groups.
"""
import json
import pathlib
import sys

import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_fixtures import write_safetensors  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "LstmLens.Tests" / "Fixtures" / "state_gradients"
WORDS = ["the", "cat", "dog", "sat", "on", "mat", "ran"]
VOCAB = ["<unk>", "<eos>"] + WORDS   # the order Vocabulary.Build gives: <unk> = 0, <eos> = 1
EOS = VOCAB.index("<eos>")
TEXT = "the cat sat <eos> the dog ran on the mat <eos> <unk> <eos> cat the sat"
TOKENS = [VOCAB.index(w) for w in TEXT.split()]
WORD = VOCAB.index("the")
POSITIONS = [0, 3, 4, 9, 12]
EMBED, HIDDEN, DELAYS = 4, 5, 6
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}  # nn.RNN's default nonlinearity is tanh
# name: (cell, input kind, layers, seed)
MODELS = {"lstm": ("lstm", "embedding", 2, 101), "gru": ("gru", "embedding", 2, 102),
          "rnn": ("rnn", "embedding", 2, 103), "onehot": ("lstm", "one_hot", 1, 104)}
RESET_MODELS = {"lstm"}


class LanguageModel(nn.Module):
    """encoder (embedding only) -> rnn -> decoder, with PyTorch word_language_model's state_dict names."""

    def __init__(self, cell, input_kind, vocab, embed, hidden, layers):
        super().__init__()
        if input_kind == "embedding":
            self.encoder = nn.Embedding(vocab, embed)
        self.rnn = CELLS[cell](embed if input_kind == "embedding" else vocab, hidden, num_layers=layers)
        self.decoder = nn.Linear(hidden, vocab)


def state_names(cell):
    return ["c", "h"] if cell == "lstm" else ["h"]


def run_states(rnn, cell, x, reset_after):
    """Runs rnn (float64) one position at a time over x [N, in] from zero state, zeroing the state after
    each position in reset_after. Returns [N, L, S, H]: state index S follows state_names(cell)."""
    layers, hidden = rnn.num_layers, rnn.hidden_size
    zero = x.new_zeros(layers, 1, hidden)
    state = (zero, zero) if cell == "lstm" else zero
    steps = []
    for t in range(x.shape[0]):
        _, state = rnn(x[t].view(1, 1, -1), state)
        if cell == "lstm":
            h, c = state
            steps.append(torch.stack([c[:, 0], h[:, 0]], dim=1))   # [L, 2, H]
        else:
            steps.append(state[:, 0].unsqueeze(1))                   # [L, 1, H]
        if t in reset_after:
            state = (zero, zero) if cell == "lstm" else zero
    return torch.stack(steps)


def jacobian(rnn, cell, x, reset_after):
    """J[t, L, S, i, u, j] = d state[t, L, S, i] / d x[u, j], exact (reverse-mode autograd, float64)."""
    return torch.autograd.functional.jacobian(lambda inputs: run_states(rnn, cell, inputs, reset_after), x,
                                              vectorize=False)


def groups():
    n = len(TOKENS)
    return {"all": list(range(n)), "word": [u for u in range(n) if TOKENS[u] == WORD], "positions": list(POSITIONS)}


def pair_counts(u, tau, reset):
    """Whether pair (u, u+tau) enters the mean."""
    if u + tau >= len(TOKENS):
        return False
    return not reset or all(TOKENS[p] != EOS for p in range(u, u + tau))


def means(jac, cell, layers, reset, prefix):
    """The group means and counts as named tensors."""
    tensors = {}
    for group, starts in groups().items():
        counts = torch.zeros(DELAYS, dtype=torch.int64)
        total = torch.zeros(DELAYS, layers, len(state_names(cell)), HIDDEN, jac.shape[-1], dtype=torch.float64)
        for tau in range(DELAYS):
            for u in starts:
                if pair_counts(u, tau, reset):
                    counts[tau] += 1
                    total[tau] += jac[u + tau, :, :, :, u, :]
        assert (counts > 0).all(), f"{prefix}{group}: a delay with no pairs {counts.tolist()}"
        mean = total / counts.view(-1, 1, 1, 1, 1).double()
        tensors[f"{prefix}count.{group}"] = counts
        for layer in range(layers):
            for k, s in enumerate(state_names(cell)):
                tensors[f"{prefix}mean.{group}.l{layer}.{s}"] = mean[:, layer, k].contiguous()
    return tensors


def verify(rnn, cell, x, reset_after, jac, states, generator):
    """Fails loudly unless the Jacobian and the trajectory are right."""
    n, layers = x.shape[0], rnn.num_layers
    # The step-by-step loop against the module run over each segment from zero state in one call (the whole
    # stream when there are no resets): top-layer h at every position, every layer's final state.
    bounds = [0] + sorted(p + 1 for p in reset_after if p + 1 < n) + [n]
    top_h = states[:, layers - 1, len(state_names(cell)) - 1]
    with torch.no_grad():
        for begin, end in zip(bounds, bounds[1:]):
            output, final = rnn(x[begin:end].view(end - begin, 1, -1))
            final = torch.stack([final[1], final[0]], dim=1) if cell == "lstm" else final.unsqueeze(1)
            assert torch.allclose(output[:, 0], top_h[begin:end], rtol=0, atol=1e-13), "step-by-step run differs from the module"
            assert torch.allclose(final[:, :, 0], states[end - 1], rtol=0, atol=1e-13), "step-by-step final state differs"
    # Causality, and no dependence across a reset.
    for t in range(n):
        for u in range(n):
            crossed = any(p in reset_after for p in range(u, t))
            if u > t or crossed:
                assert jac[t, :, :, :, u, :].abs().max().item() == 0.0, f"d s_{t}/d e_{u} should be exactly zero"
    # Central finite differences in float64 on random entries (and tau = 0..5 at least once each).
    eps = 1e-6
    worst = 0.0
    for trial in range(24):
        tau = trial % DELAYS
        u = int(torch.randint(0, n - tau, (1,), generator=generator))
        j = int(torch.randint(0, x.shape[1], (1,), generator=generator))
        plus, minus = x.clone(), x.clone()
        plus[u, j] += eps
        minus[u, j] -= eps
        with torch.no_grad():
            fd = (run_states(rnn, cell, plus, reset_after)[u + tau] - run_states(rnn, cell, minus, reset_after)[u + tau]) / (2 * eps)
        exact = jac[u + tau, :, :, :, u, j]
        worst = max(worst, (fd - exact).abs().max().item())
        assert torch.allclose(fd, exact, rtol=0, atol=1e-7), f"finite differences disagree at u={u} tau={tau} j={j}"
    # Some Jacobian entries are far from zero (the check above is not vacuous).
    assert jac.abs().max().item() > 1e-2
    return worst


def make(name):
    cell, input_kind, layers, seed = MODELS[name]
    torch.manual_seed(seed)
    model = LanguageModel(cell, input_kind, len(VOCAB), EMBED, HIDDEN, layers).eval()
    directory = OUT / name
    directory.mkdir(parents=True, exist_ok=True)
    write_safetensors(directory / "model.safetensors", dict(model.state_dict()), {"format": "pt"})
    config = {"cell": cell, "input": input_kind, "input_size": len(VOCAB)}
    if input_kind == "embedding":
        config["embedding_size"] = EMBED
    config.update({"hidden_size": HIDDEN, "num_layers": layers, "head": "per_step_softmax", "output_size": len(VOCAB)})
    (directory / "config.json").write_text(json.dumps({"model": config}, indent=2) + "\n")
    (directory / "vocab.txt").write_text("\n".join(VOCAB) + "\n")

    # float64 copies of the stored float32 values (exact casts).
    rnn = CELLS[cell](model.rnn.input_size, HIDDEN, num_layers=layers).double()
    rnn.load_state_dict({k: v.double() for k, v in model.rnn.state_dict().items()})
    tokens = torch.tensor(TOKENS, dtype=torch.int64)
    if input_kind == "embedding":
        x = model.encoder.weight.detach().double()[tokens].clone()
    else:
        x = nn.functional.one_hot(tokens, len(VOCAB)).double()

    tensors = {"tokens": tokens, "word": torch.tensor([WORD], dtype=torch.int64),
               "positions": torch.tensor(POSITIONS, dtype=torch.int64)}
    generator = torch.Generator().manual_seed(seed)
    variants = [("", set())] + ([("reset.", {p for p, t in enumerate(TOKENS) if t == EOS})] if name in RESET_MODELS else [])
    report = []
    for prefix, reset_after in variants:
        with torch.no_grad():
            states = run_states(rnn, cell, x, reset_after)
        jac = jacobian(rnn, cell, x, reset_after)
        worst = verify(rnn, cell, x, reset_after, jac, states, generator)
        report.append(f"{prefix or 'plain.'} fd max diff {worst:.1e}")
        tensors.update(means(jac, cell, layers, bool(reset_after), prefix))
        for layer in range(layers):
            for k, s in enumerate(state_names(cell)):
                tensors[f"{prefix}state.l{layer}.{s}"] = states[:, layer, k].contiguous()
    metadata = {"generator": "tools/make_state_gradient_fixtures.py", "torch": torch.__version__, "seed": str(seed),
                "cell": cell, "input": input_kind, "text": TEXT, "word": VOCAB[WORD],
                "definition": "mean over u in group with u+tau<N of d s_{u+tau}/d e_u [H,E], zero initial state; "
                              "reset.*: state zeroed after each <eos>, pairs with an <eos> at p, u<=p<u+tau, left out"}
    write_safetensors(directory / "expected.safetensors", tensors, metadata)
    print(f"{directory}: {len(tensors)} tensors; {'; '.join(report)}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    assert len(TOKENS) == 16 and TOKENS.count(EOS) >= 2 and TOKENS.count(WORD) >= 2
    for model_name in MODELS:
        make(model_name)
