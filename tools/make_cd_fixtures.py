#!/usr/bin/python3
"""Golden tensors from PyTorch for the contextual-decomposition tests (tests/LstmLens.Tests/Analysis/ContextualDecompositionTests.cs).

A word-language-model-shaped network in float64, nn.Embedding(V=9, E=5) -> 2-layer nn.LSTM(H=4) -> nn.Linear(4, 9),
weights drawn uniform in [-1, 1) so the gates work well away from their linear range, reads one sentence of 7 tokens
from a zero state. Contextual decomposition (Murdoch et al. 2018; SPEC.md section 4) is written here independently of
LstmLens, step by step with torch operations, for several relevant sets and each bias policy:

  in-phrase          the bias x bias term i_b * g_b of the bottom layer is relevant iff t is in S
  never              always irrelevant
  murdoch-exclusive  relevant iff t is in S and t < max(S) (the original code's off-by-one)

Upper layers take beta and gamma of the layer below as inputs; their bias x bias term is irrelevant. Written, in F64
(token ids I64), to tests/LstmLens.Tests/Fixtures/cd/lstm2.safetensors:

  encoder.weight, rnn.weight_ih_l0 ... decoder.bias            parameters, PyTorch state_dict names
  tokens [T]                                                   the sentence
  true.h{l} / true.c{l} [T, H]                                 nn.LSTM's states of layer l
  {set}.{policy}.beta_h{l}, gamma_h{l}, beta_c{l}, gamma_c{l}  [T, H]
  {set}.{policy}.relevant_logits [T, V]                        W_dec beta_h of the top layer (no decoder bias)

The relevant sets are named in the metadata ("sets": name=positions;...). The tests never run this script; it is
committed so the fixtures can be regenerated:

    /usr/bin/python3 tools/make_cd_fixtures.py        (Debian's python3-torch)
"""
import json
import pathlib
import struct

import torch
from torch import nn

VOCAB, EMBED, HIDDEN, LAYERS, STEPS = 9, 5, 4, 2, 7
SEED = 20261202
SETS = {"phrase": [2, 3], "split": [1, 4], "first": [0], "empty": [], "all": list(range(STEPS))}
POLICIES = ["in-phrase", "never", "murdoch-exclusive"]
DTYPES = {torch.float64: "F64", torch.int64: "I64"}
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "LstmLens.Tests" / "Fixtures" / "cd"


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, tensor in tensors.items():
        blob = tensor.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def split_three(a, b, c, phi):
    """L3: the relevant, irrelevant and bias parts of phi(a + b + c)."""
    relevant = 0.5 * ((phi(a + c) - phi(c)) + (phi(a + b + c) - phi(b + c)))
    irrelevant = 0.5 * ((phi(b + c) - phi(c)) + (phi(a + b + c) - phi(a + c)))
    return relevant, irrelevant, phi(c)


def decompose(lstm, x, relevant, policy):
    """beta/gamma of h and c per layer, [T, H] each, for the relevant positions of the bottom layer's input x [T, E]."""
    out = {}
    rel_in, irr_in = None, None
    for layer in range(LAYERS):
        w_ih = getattr(lstm, f"weight_ih_l{layer}")
        w_hh = getattr(lstm, f"weight_hh_l{layer}")
        bias = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
        b_i, b_f, b_g, b_o = bias.chunk(4)
        beta_h, gamma_h = torch.zeros(HIDDEN, dtype=torch.float64), torch.zeros(HIDDEN, dtype=torch.float64)
        beta_c, gamma_c = torch.zeros(HIDDEN, dtype=torch.float64), torch.zeros(HIDDEN, dtype=torch.float64)
        rows = {k: [] for k in ("beta_h", "gamma_h", "beta_c", "gamma_c")}
        for t in range(STEPS):
            rel = w_hh @ beta_h
            irr = w_hh @ gamma_h
            if layer == 0:
                if t in relevant:
                    rel = rel + w_ih @ x[t]
                else:
                    irr = irr + w_ih @ x[t]
                bias_relevant = {"in-phrase": t in relevant, "never": False,
                                 "murdoch-exclusive": t in relevant and t < max(relevant)}[policy]
            else:
                rel = rel + w_ih @ rel_in[t]
                irr = irr + w_ih @ irr_in[t]
                bias_relevant = False
            rel_i, rel_f, rel_g, rel_o = rel.chunk(4)
            irr_i, irr_f, irr_g, irr_o = irr.chunk(4)
            i_r, i_i, i_b = split_three(rel_i, irr_i, b_i, torch.sigmoid)
            f_r, f_i, f_b = split_three(rel_f, irr_f, b_f, torch.sigmoid)
            g_r, g_i, g_b = split_three(rel_g, irr_g, b_g, torch.tanh)
            o = torch.sigmoid(rel_o + irr_o + b_o)
            new_beta_c = i_r * (g_r + g_b) + i_b * g_r + (f_r + f_b) * beta_c
            new_gamma_c = i_i * (g_r + g_i + g_b) + (i_r + i_b) * g_i + (f_r + f_i + f_b) * gamma_c + f_i * beta_c
            if bias_relevant:
                new_beta_c = new_beta_c + i_b * g_b
            else:
                new_gamma_c = new_gamma_c + i_b * g_b
            beta_c, gamma_c = new_beta_c, new_gamma_c
            beta_h = o * 0.5 * (torch.tanh(beta_c) + torch.tanh(beta_c + gamma_c) - torch.tanh(gamma_c))
            gamma_h = o * 0.5 * (torch.tanh(gamma_c) + torch.tanh(beta_c + gamma_c) - torch.tanh(beta_c))
            for name, value in (("beta_h", beta_h), ("gamma_h", gamma_h), ("beta_c", beta_c), ("gamma_c", gamma_c)):
                rows[name].append(value)
        for name, values in rows.items():
            out[f"{name}{layer}"] = torch.stack(values)
        rel_in, irr_in = out[f"beta_h{layer}"], out[f"gamma_h{layer}"]
    return out


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    encoder = nn.Embedding(VOCAB, EMBED).double()
    lstm = nn.LSTM(EMBED, HIDDEN, num_layers=LAYERS).double()
    decoder = nn.Linear(HIDDEN, VOCAB).double()
    with torch.no_grad():
        for module in (lstm, decoder):
            for p in module.parameters():
                p.uniform_(-1, 1)
    tokens = torch.randint(0, VOCAB, (STEPS,))

    tensors = {"encoder.weight": encoder.weight}
    tensors.update({f"rnn.{k}": v for k, v in lstm.state_dict().items()})
    tensors.update({f"decoder.{k}": v for k, v in decoder.state_dict().items()})
    tensors["tokens"] = tokens
    with torch.no_grad():
        x = encoder(tokens)
        states, layer_input = [], x.unsqueeze(1)
        for layer in range(LAYERS):  # one layer at a time, to read every layer's c
            single = nn.LSTM(layer_input.shape[2], HIDDEN).double()
            for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(single, f"{k}_l0").copy_(getattr(lstm, f"{k}_l{layer}"))
            h, c = [], []
            state = None
            for t in range(STEPS):
                _, state = single(layer_input[t:t + 1], state)
                h.append(state[0].reshape(HIDDEN))
                c.append(state[1].reshape(HIDDEN))
            tensors[f"true.h{layer}"] = torch.stack(h)
            tensors[f"true.c{layer}"] = torch.stack(c)
            layer_input = tensors[f"true.h{layer}"].unsqueeze(1)
        full, _ = lstm(x.unsqueeze(1))
        assert torch.allclose(full.reshape(STEPS, HIDDEN), tensors[f"true.h{LAYERS - 1}"], atol=1e-14)
        for set_name, positions in SETS.items():
            for policy in POLICIES:
                if policy == "murdoch-exclusive" and not positions:
                    continue
                parts = decompose(lstm, x, positions, policy)
                for name, value in parts.items():
                    tensors[f"{set_name}.{policy}.{name}"] = value
                tensors[f"{set_name}.{policy}.relevant_logits"] = parts[f"beta_h{LAYERS - 1}"] @ decoder.weight.T
                total = parts[f"beta_h{LAYERS - 1}"] + parts[f"gamma_h{LAYERS - 1}"]
                assert torch.allclose(total, tensors[f"true.h{LAYERS - 1}"], atol=1e-13), (set_name, policy)
    metadata = {"generator": "tools/make_cd_fixtures.py", "torch": torch.__version__, "seed": str(SEED),
                "sets": ";".join(f"{k}={','.join(map(str, v))}" for k, v in SETS.items()), "policies": ",".join(POLICIES)}
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "lstm2.safetensors"
    write_safetensors(path, tensors, metadata)
    print(f"{path}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
