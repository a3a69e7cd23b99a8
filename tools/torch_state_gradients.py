#!/usr/bin/python3
"""State gradients (Verwimp et al.) of a 1-layer LSTM language model in PyTorch: the peer of `lstmlens memory`
for bench/state_gradients.sh. Run with Debian's python3-torch (1.13, CPU).

    /usr/bin/python3 tools/torch_state_gradients.py --model DIR --data FILE --max-delay 50 --dtype float32 \
        --threads 2 [--method factored] [--tokens N] --csv OUT.csv
    /usr/bin/python3 tools/torch_state_gradients.py --self-test

What it computes. nn.Embedding(V, E) -> nn.LSTM(E, H, 1 layer) runs over FILE as one continuous stream of N
token ids from a zero state (no reset at sentence ends). For a delay tau and a start u,
G_{u,tau} = dc_{u+tau} / de_u (H x E) is the exact Jacobian of the cell state at u+tau with respect to the
input embedding vector at u (e_u taken as an independent input). For tau = 0..D the mean
Gbar_tau = mean over u with u+tau < N of G_{u,tau} is accumulated in float64, and the CSV gets per tau its
count N - tau and, from the singular values s of Gbar_tau (no normalisation), sigma1 = s_1,
sigma1_ratio = s_1 / sum s, top5_ratio = (s_1 + ... + s_5) / sum s, sigma_sum = sum s.

How. Forward mode, batched over start positions. At time t the live lanes are the starts u = t-D .. t,
each carrying E tangent columns (dh, dc) = d(h_t, c_t)/de_u. They are kept transposed and ordered by
delay in one buffer S [(D+1)E, 2H] = [dc^T | dh^T] (rows tau*E .. tau*E+E-1 = the lane at delay tau);
each step writes the next buffer (ping-pong), shifted one lane down, so lane tau becomes lane tau+1, the
lane at delay D drops out and the new lane u = t enters at delay 0. Then the float64 accumulator
[(D+1)E, H] (the same layout) adds the dc^T half in one pass. With the gates i, f, g, o at t,
c' = c_{t-1} and c = c_t, the cell's tangent is

    dc_t = f . dc_{t-1} + a_i . dz_i + a_f . dz_f + a_g . dz_g,   dh_t = b_o . dz_o + d . dc_t
    a_i = g i(1-i), a_f = c' f(1-f), a_g = i(1-g^2), b_o = tanh(c) o(1-o), d = o(1-tanh^2 c)

with dz = W_hh dh_{t-1} for a continuing lane and dz = W_ih (the identity tangent), dh = dc = 0 before,
for the new lane.

  --method textbook: dz^T = dh^T W_hh^T, one [rows x H] @ [H x 4H] product per step over all continuing
      lanes' columns, then the elementwise gate terms above.
  --method factored (default, fastest): every lane shares the step's Jacobian, so the H x H matrices
      M_c = diag(a_f) W_hf + diag(a_i) W_hi + diag(a_g) W_hg and M_h = diag(b_o) W_ho are formed once per
      step (transposed, 5H^2 multiply-adds) and dc_t = f . dc_{t-1} + M_c dh_{t-1},
      dh_t = (M_h + diag(d) M_c) dh_{t-1} + (d f) . dc_{t-1}: one elementwise pass writes
      [f . dc_{t-1} | d f . dc_{t-1}] into the next buffer, then one GEMM with beta = 1 adds
      dh_{t-1}^T [M_c^T | (M_h + diag(d) M_c)^T], a [rows x H] @ [H x 2H] product, half the textbook's.
      The new lane's (dc, dh) is the same combination of W_ih's gate blocks (zero previous tangents), so
      it comes out of the same per-step formation (5HE multiply-adds more).
  --method functorch: the textbook cell tangent through functorch.jvp + vmap (measured, slower).

gflop: the FLOPs of the tangent products (the per-step matrix products), counted as
sum over t = 1..N-1 of 2 * rows_t * H * K with rows_t = E * min(t, D) continuing tangent columns and
K = 2H (factored) or 4H (textbook, functorch). The per-step formation of M (factored, 10H(H+E) FLOPs),
the elementwise terms, the primal forward pass and the accumulation are not counted.

seconds: wall time of the analysis (primal forward pass, tangents, accumulation, singular values); reading
the model and tokenising the text are not included.

Threads: --threads sets torch.set_num_threads and, before torch is imported, OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS: Debian's torch runs its matrix products in OpenBLAS (pthreads), whose thread count
torch.set_num_threads does not control. It also sets OMP_WAIT_POLICY=PASSIVE unless the environment sets
it: with both pools at 2 threads on 2 cores, spinning OpenMP workers (the elementwise ops) and OpenBLAS
workers took each other's cores and a 2-thread step was slower than a 1-thread one (on a shared 2-core
Zen 3 EPYC: about 20-26 ms against 16-20 ms per step; passive waiting: 11-16 ms).

The text is read as LstmLens reads a text corpus (src/LstmLens/Data/Corpus.cs, TokenStream.cs,
Vocabulary.cs): lines split at \\r\\n, \\n or \\r; tokens split at .NET's char.IsWhiteSpace characters; blank
lines skipped; <eos> after every non-empty line; words outside vocab.txt -> <unk>; a NUL byte is an error.

--self-test: on tiny random models (E=3, H=4, N=12, D=4 and a case with D >= N) compares every method in
float64 with torch.autograd.functional.jacobian through nn.LSTM (max |difference| <= 1e-10), checks
float32 against float64, round-trips a model directory and checks the tokeniser; exits 1 on a mismatch.
"""
import argparse
import json
import os
import pathlib
import re
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
METHODS = ("factored", "textbook", "functorch")
DOTNET_WHITESPACE = re.compile("[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
LINE_BREAK = re.compile("\r\n|\r|\n")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="LstmLens model directory (config.json, model.safetensors, vocab.txt)")
    p.add_argument("--data", help="text file, one sentence per line")
    p.add_argument("--max-delay", type=int, default=50)
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--method", choices=METHODS, default="factored")
    p.add_argument("--tokens", type=int, help="keep the first N tokens")
    p.add_argument("--csv", help="output CSV")
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args(argv)
    if not args.self_test and not (args.model and args.data and args.csv):
        p.error("--model, --data and --csv are required (or --self-test)")
    if args.max_delay < 0 or args.threads < 1 or (args.tokens is not None and args.tokens < 1):
        p.error("--max-delay >= 0, --threads >= 1, --tokens >= 1")
    return args


# ---------------------------------------------------------------------------------------------- reading

def read_lines(path):
    """Lines as .NET's File.ReadLines gives them (UTF-8, BOM dropped, invalid bytes -> U+FFFD)."""
    text = pathlib.Path(path).read_bytes().decode("utf-8-sig", errors="replace")
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def read_sentences(path):
    if str(path).lower().endswith(".conllu"):
        sys.exit(f"{path}: CoNLL-U is not supported here; give a text file")
    sentences = []
    for number, line in enumerate(read_lines(path), 1):
        if "\0" in line:
            sys.exit(f"{path}:{number}: binary data (NUL byte) in a text corpus")
        words = [w for w in DOTNET_WHITESPACE.split(line) if w]
        if words:
            sentences.append(words)
    if not sentences:
        sys.exit(f"{path}: no sentences (empty file?)")
    return sentences


def read_vocab(path):
    tokens = read_lines(path)
    index = {}
    for i, token in enumerate(tokens):
        if not token or DOTNET_WHITESPACE.search(token) or token in index:
            sys.exit(f"{path}: vocabulary entry {i + 1} '{token}' is empty, has whitespace or is a duplicate")
        index[token] = i
    if "<unk>" not in index or "<eos>" not in index:
        sys.exit(f"{path}: vocabulary has no <unk> or no <eos>")
    return tokens, index


def stream_ids(sentences, index):
    unk, eos = index["<unk>"], index["<eos>"]
    ids = []
    for words in sentences:
        ids.extend(index.get(w, unk) for w in words)
        ids.append(eos)
    return ids


def load_model(directory, dtype):
    from torch_interop import read_safetensors
    directory = pathlib.Path(directory)
    config = json.loads((directory / "config.json").read_text())["model"]
    if config.get("cell") != "lstm" or config.get("num_layers") != 1 or config.get("input") != "embedding":
        sys.exit(f"{directory}: needs an embedding-input 1-layer LSTM, config has {config}")
    tensors = read_safetensors(directory / "model.safetensors")
    names = ["encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"]
    missing = [n for n in names if n not in tensors]
    if missing:
        sys.exit(f"{directory}/model.safetensors: missing {missing}")
    emb, w_ih, w_hh, b_ih, b_hh = (tensors[n].to(dtype) for n in names)
    hidden, embed = w_hh.shape[1], emb.shape[1]
    if w_ih.shape != (4 * hidden, embed) or w_hh.shape != (4 * hidden, hidden):
        sys.exit(f"{directory}: unexpected shapes {tuple(w_ih.shape)}, {tuple(w_hh.shape)}")
    _, index = read_vocab(directory / "vocab.txt")
    if len(index) != emb.shape[0]:
        sys.exit(f"{directory}: vocab.txt has {len(index)} entries, encoder.weight {emb.shape[0]} rows")
    return (emb, w_ih, w_hh, b_ih, b_hh), index


# ---------------------------------------------------------------------------------------------- engine

def primal_chunk(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """Runs the LSTM over x [T, E] from (h, c); returns coefficients [T, 7, H] (a_i, a_f, a_g, b_o, d, f, d*f)
    and the final (h, c)."""
    steps, hidden = x.shape[0], w_hh.shape[1]
    h_prev = x.new_empty(steps, hidden)
    c_prev = x.new_empty(steps, hidden)
    c_now = x.new_empty(steps, hidden)
    h, c = h.view(1, -1), c.view(1, -1)
    for j in range(steps):
        h_prev[j] = h[0]
        c_prev[j] = c[0]
        h, c = torch.lstm_cell(x[j:j + 1], [h, c], w_ih, w_hh, b_ih, b_hh)
        c_now[j] = c[0]
    z = torch.addmm(b_ih + b_hh, x, w_ih.t()).addmm_(h_prev, w_hh.t()).view(steps, 4, hidden)
    i, f, o = torch.sigmoid(z[:, 0]), torch.sigmoid(z[:, 1]), torch.sigmoid(z[:, 3])
    g = torch.tanh(z[:, 2])
    tc = torch.tanh(c_now)
    coef = x.new_empty(steps, 7, hidden)
    coef[:, 0] = g * i * (1 - i)
    coef[:, 1] = c_prev * f * (1 - f)
    coef[:, 2] = i * (1 - g * g)
    coef[:, 3] = tc * o * (1 - o)
    coef[:, 4] = o * (1 - tc * tc)
    coef[:, 5] = f
    coef[:, 6] = coef[:, 4] * f
    return coef, h[0], c[0]


class Tangents:
    """Forward-mode state gradients over a stream, all live lanes batched (see the module docstring)."""

    def __init__(self, w_ih, w_hh, max_delay, method):
        self.hidden, self.embed = w_hh.shape[1], w_ih.shape[1]
        self.delay, self.method = max_delay, method
        H, E, D = self.hidden, self.embed, max_delay
        dtype = w_hh.dtype
        wt = torch.cat([w_hh, w_ih], 1).t().contiguous()         # [H+E, 4H]: rows = inputs (h, then x)
        self.wt = wt
        self.blocks = [wt[:, k * H:(k + 1) * H].contiguous() for k in range(4)]   # W_k^T, [H+E, H]
        self.state = [torch.zeros((D + 1) * E, 2 * H, dtype=dtype) for _ in range(2)]
        self.acc = torch.zeros((D + 1) * E, H, dtype=torch.float64)
        self.m = torch.empty(H + E, 2 * H, dtype=dtype)             # [M_c^T | M_h'^T ; new lane]
        self.dz = torch.empty(D * E, 4 * H, dtype=dtype)
        self.t = 0
        if method == "functorch":
            self.w_hh, self.w_ih = w_hh, w_ih

    def step(self, coef, x=None, h=None, c=None, params=None):
        """Advances all lanes by one time step; coef [7, H] as from primal_chunk."""
        H, E, D = self.hidden, self.embed, self.delay
        old, new = self.state[self.t % 2], self.state[(self.t + 1) % 2]
        rows = E * min(self.t, D)
        a_i, a_f, a_g, b_o, d, f = coef[0], coef[1], coef[2], coef[3], coef[4], coef[5]
        if self.method == "factored":
            m = self.m
            mc, mh = m[:, :H], m[:, H:]
            torch.mul(self.blocks[0], a_i, out=mc)
            mc.addcmul_(self.blocks[1], a_f).addcmul_(self.blocks[2], a_g)
            torch.mul(self.blocks[3], b_o, out=mh)
            mh.addcmul_(mc, d)
            new[:E].copy_(m[H:])
            if rows:    # [dc | dh] = [f . dc_old | d f . dc_old], then += dh_old^T [M_c^T | M_h'^T] (GEMM, beta 1)
                out = new[E:E + rows]
                torch.mul(old[:rows, :H].unsqueeze(1), coef[5:7].unsqueeze(0), out=out.view(rows, 2, H))
                out.addmm_(old[:rows, H:], m[:H])
        elif self.method == "textbook":
            self._gate_terms(self.wt[H:], None, new[:E], coef)
            if rows:
                dz = self.dz[:rows]
                torch.mm(old[:rows, H:], self.wt[:H], out=dz)
                self._gate_terms(dz, old[:rows, :H], new[E:E + rows], coef)
        else:
            self._functorch_step(old, new, rows, x, h, c, params)
        live = rows + E
        self.acc[:live].add_(new[:live, :H])
        self.t += 1

    @staticmethod
    def _gate_terms(dz, dc_old, out, coef):
        H = coef.shape[1]
        dc, dh = out[:, :H], out[:, H:]
        torch.mul(dz[:, :H], coef[0], out=dc)
        dc.addcmul_(dz[:, H:2 * H], coef[1]).addcmul_(dz[:, 2 * H:3 * H], coef[2])
        if dc_old is not None:
            dc.addcmul_(dc_old, coef[5])
        torch.mul(dz[:, 3 * H:], coef[3], out=dh)
        dh.addcmul_(dc, coef[4])

    def _functorch_step(self, old, new, rows, x, h, c, params):
        from functorch import jvp, vmap
        H, E = self.hidden, self.embed
        w_ih, w_hh, b_ih, b_hh = params

        def cell(xv, hv, cv):    # nn.LSTM's cell written out (lstm_cell has no batching rule in functorch 1.13)
            z = torch.mv(w_ih, xv) + torch.mv(w_hh, hv) + b_ih + b_hh
            i, f, o = torch.sigmoid(z[:H]), torch.sigmoid(z[H:2 * H]), torch.sigmoid(z[3 * H:])
            cn = f * cv + i * torch.tanh(z[2 * H:3 * H])
            return cn, o * torch.tanh(cn)

        def continuing(dh, dc):
            return jvp(lambda hv, cv: cell(x, hv, cv), (h, c), (dh, dc))[1]

        def entering(dx):
            return jvp(lambda xv: cell(xv, h, c), (x,), (dx,))[1]

        dc, dh = vmap(entering)(torch.eye(E, dtype=x.dtype))
        new[:E, :H], new[:E, H:] = dc, dh
        if rows:
            dc, dh = vmap(continuing)(old[:rows, H:], old[:rows, :H])
            new[E:E + rows, :H], new[E:E + rows, H:] = dc, dh

    def flops(self, tokens):
        """FLOPs of the tangent products for a stream of `tokens` steps (see the module docstring)."""
        H, E, D = self.hidden, self.embed, self.delay
        k = 2 * H if self.method == "factored" else 4 * H
        columns = sum(E * min(t, D) for t in range(1, tokens))
        return 2.0 * columns * H * k


def state_gradients(weights, ids, max_delay, method, chunk=512):
    """Returns (sums [(D+1), H, E] float64 as Gbar^T blocks summed, counts) over the stream `ids`."""
    emb, w_ih, w_hh, b_ih, b_hh = weights
    n, H, E, D = len(ids), w_hh.shape[1], w_ih.shape[1], max_delay
    engine = Tangents(w_ih, w_hh, D, method)
    h = torch.zeros(H, dtype=w_hh.dtype)
    c = torch.zeros(H, dtype=w_hh.dtype)
    ids = torch.as_tensor(ids, dtype=torch.int64)
    params = (w_ih, w_hh, b_ih, b_hh)
    for start in range(0, n, chunk):
        x = emb[ids[start:start + chunk]]
        h0, c0 = h, c
        coef, h, c = primal_chunk(x, h, c, w_ih, w_hh, b_ih, b_hh)
        if method == "functorch":
            hs, cs = _states(x, h0, c0, params)
            for j in range(x.shape[0]):
                engine.step(coef[j], x[j], hs[j], cs[j], params)
        else:
            for j in range(x.shape[0]):
                engine.step(coef[j])
    counts = [max(n - tau, 0) for tau in range(D + 1)]
    return engine.acc.view(D + 1, E, H), counts, engine.flops(n)


def _states(x, h, c, params):
    """The (h_{t-1}, c_{t-1}) before each step of x, for the functorch method."""
    hs, cs = [], []
    h, c = h.view(1, -1), c.view(1, -1)
    for j in range(x.shape[0]):
        hs.append(h[0])
        cs.append(c[0])
        h, c = torch.lstm_cell(x[j:j + 1], [h, c], *params)
    return hs, cs


def summarise(sums, counts):
    rows = []
    for tau, count in enumerate(counts):
        if count == 0:
            continue
        s = torch.linalg.svdvals(sums[tau] / count)
        total = s.sum().item()
        rows.append((tau, count, s[0].item(), s[0].item() / total, s[:5].sum().item() / total, total))
    return rows


def write_csv(path, rows):
    lines = ["delay,count,sigma1,sigma1_ratio,top5_ratio,sigma_sum"]
    lines += [f"{tau},{count},{s1!r},{r1!r},{r5!r},{total!r}" for tau, count, s1, r1, r5, total in rows]
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------- self-test

def reference(weights, ids, max_delay):
    """Gbar_tau (H x E) from torch.autograd.functional.jacobian of c_t with respect to e_u through nn.LSTM."""
    emb, w_ih, w_hh, b_ih, b_hh = weights
    H, E = w_hh.shape[1], w_ih.shape[1]
    lstm = torch.nn.LSTM(E, H).double()
    with torch.no_grad():
        for name, value in zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], [w_ih, w_hh, b_ih, b_hh]):
            getattr(lstm, name).copy_(value)

    def cells(e):
        state, out = None, []
        for t in range(e.shape[0]):
            _, state = lstm(e[t:t + 1].unsqueeze(1), state)
            out.append(state[1].reshape(H))
        return torch.stack(out)

    with torch.enable_grad():
        jac = torch.autograd.functional.jacobian(cells, emb[torch.tensor(ids)].clone())   # [N, H, N, E]
    n = len(ids)
    return [torch.stack([jac[u + tau, :, u, :] for u in range(n - tau)]).mean(0) if tau < n else None
            for tau in range(max_delay + 1)]


def self_test():
    from make_fixtures import write_safetensors
    failures = []
    torch.manual_seed(20261202)
    for vocab, embed, hidden, n, delay in [(7, 3, 4, 12, 4), (5, 2, 3, 5, 6)]:
        weights = [torch.randn(vocab, embed, dtype=torch.float64), torch.randn(4 * hidden, embed, dtype=torch.float64) * 0.7,
                   torch.randn(4 * hidden, hidden, dtype=torch.float64) * 0.7, torch.randn(4 * hidden, dtype=torch.float64) * 0.3,
                   torch.randn(4 * hidden, dtype=torch.float64) * 0.3]
        ids = torch.randint(0, vocab, (n,)).tolist()
        expected = reference(weights, ids, delay)
        for method in METHODS:
            sums, counts, _ = state_gradients(weights, ids, delay, method, chunk=5)
            error = max(((sums[tau].t() / counts[tau] - expected[tau]).abs().max().item()
                         for tau in range(delay + 1) if counts[tau]), default=0.0)
            bad_counts = any(counts[tau] != (n - tau if tau < n else 0) for tau in range(delay + 1))
            ok = error <= 1e-10 and not bad_counts
            print(f"self-test E={embed} H={hidden} N={n} D={delay} {method} float64: max |error| {error:.3g} "
                  f"{'ok' if ok else 'MISMATCH'}")
            if not ok:
                failures.append((method, n, delay))
            single = [w.float() for w in weights]
            sums32, _, _ = state_gradients(single, ids, delay, method, chunk=5)
            scale = max(e.abs().max().item() for e in expected if e is not None)
            error32 = max((sums32[tau].t() / counts[tau] - expected[tau]).abs().max().item()
                          for tau in range(delay + 1) if counts[tau]) / scale
            ok = error32 <= 1e-5
            print(f"self-test E={embed} H={hidden} N={n} D={delay} {method} float32: max |error| / max |G| "
                  f"{error32:.3g} {'ok' if ok else 'MISMATCH'}")
            if not ok:
                failures.append((method, "float32", n, delay))

    # a model directory and a text through the command-line path
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        words = ["<unk>", "<eos>", "the", "cat", "sat", "a", "mat"]
        torch.manual_seed(3)
        model = {"encoder.weight": torch.randn(len(words), 3), "rnn.weight_ih_l0": torch.randn(16, 3) * 0.5,
                 "rnn.weight_hh_l0": torch.randn(16, 4) * 0.5, "rnn.bias_ih_l0": torch.randn(16) * 0.1,
                 "rnn.bias_hh_l0": torch.randn(16) * 0.1, "decoder.weight": torch.randn(len(words), 4),
                 "decoder.bias": torch.zeros(len(words))}
        write_safetensors(tmp / "model.safetensors", model, {"format": "pt"})
        (tmp / "config.json").write_text(json.dumps({"model": {
            "cell": "lstm", "input": "embedding", "input_size": len(words), "embedding_size": 3, "hidden_size": 4,
            "num_layers": 1, "head": "per_step_softmax", "output_size": len(words)}}))
        (tmp / "vocab.txt").write_text("\n".join(words) + "\n")
        (tmp / "text.txt").write_bytes("\ufeffthe cat\u00a0sat\r\n\n  \t\r a dog\rmat <unk>\x85the\u2003mat\nthe".encode("utf-8"))
        weights, index = load_model(tmp, torch.float64)
        ids = stream_ids(read_sentences(tmp / "text.txt"), index)
        want = [2, 3, 4, 1, 5, 0, 1, 6, 0, 2, 6, 1, 2, 1]
        print(f"self-test tokeniser: {ids} {'ok' if ids == want else 'MISMATCH, expected ' + str(want)}")
        if ids != want:
            failures.append("tokeniser")
        loaded_ok = all(torch.equal(weights[k].float(), model[name]) for k, name in enumerate(
            ["encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"]))
        sums, counts, _ = state_gradients(weights, ids, 4, "factored")
        expected = reference(weights, ids, 4)
        error = max((sums[tau].t() / counts[tau] - expected[tau]).abs().max().item() for tau in range(5))
        ok = loaded_ok and error <= 1e-10
        print(f"self-test model directory: weights {'equal' if loaded_ok else 'DIFFER'}, max |error| {error:.3g} "
              f"{'ok' if ok else 'MISMATCH'}")
        if not ok:
            failures.append("model directory")
    print("self-test " + ("passed" if not failures else f"FAILED: {failures}"))
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------------- main

def main(argv):
    args = parse_args(argv)
    threads = "1" if args.self_test else str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = threads     # before torch loads OpenBLAS and libgomp
    os.environ["OMP_NUM_THREADS"] = threads
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")    # idle OpenMP workers sleep instead of spinning
    global torch
    import torch
    sys.path.insert(0, str(HERE))
    torch.set_num_threads(int(threads))
    torch.set_grad_enabled(False)
    if args.self_test:
        return self_test()
    dtype = getattr(torch, args.dtype)
    weights, index = load_model(args.model, dtype)
    ids = stream_ids(read_sentences(args.data), index)
    if args.tokens is not None:
        if args.tokens > len(ids):
            sys.exit(f"--tokens {args.tokens}: {args.data} has only {len(ids)} tokens")
        ids = ids[:args.tokens]
    start = time.perf_counter()
    sums, counts, flops = state_gradients(weights, ids, args.max_delay, args.method)
    rows = summarise(sums, counts)
    seconds = time.perf_counter() - start
    write_csv(args.csv, rows)
    print(json.dumps({"seconds": round(seconds, 3), "tokens": len(ids), "max_delay": args.max_delay,
                      "dtype": args.dtype, "threads": args.threads, "method": args.method,
                      "gflop": round(flops / 1e9, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
