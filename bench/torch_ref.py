#!/usr/bin/env python3
"""PyTorch eager references for `runner bench matmul|sae|capture`, on any device.

The same workloads as Runner's benchmarks (src/Runner.Core/Benchmarks), written in plain PyTorch eager
so that `runner gpu-check` and the bench/*-compare.sh scripts can print a ratio measured side by side on
one machine: the CPU (Debian's python3-torch) or a GPU (a pip/conda CUDA PyTorch).

  matmul   C[m,n] = A[m,k] @ B[k,n] into a preallocated C (torch.matmul(out=)); median call; GFLOP/s.
  sae      Training steps (forward, backward, Adam) on synthetic activations kept on the device:
           relu  Anthropic, April 2024: f = relu(W_enc (x - b_dec) + b_enc), x_hat = f W_dec + b_dec,
                 loss = mean_b ||x - x_hat||^2 + l1 * mean_b sum_i f_i ||W_dec,i||
           topk  Gao et al. 2024: f = relu(TopK_k(W_enc (x - b_dec) + b_enc)), unit-norm decoder rows
                 (parallel gradient removed before the step, rows renormalised after), loss = MSE.
                 Decoder dense (f @ W_dec, as SAELens) or --sparse-decoder (embedding_bag over the k rows).
           --dtype bfloat16 is autocast with float32 parameters and Adam state, as Runner trains.
  capture  GPT-2-architecture forward (random weights) up to the hook point, the activation copied into a
           float32 buffer that holds every timed batch; attention through F.scaled_dot_product_attention
           (causal) where the PyTorch has it.

Every timed region ends with a device synchronisation. One JSON object on stdout.
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def dtype_of(name):
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def autocast(device, dtype):
    if dtype == torch.float32:
        return torch.autocast(device.type, enabled=False)
    return torch.autocast(device.type, dtype=dtype)


def matmul(args, device):
    dt = dtype_of(args.dtype)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(args.m, args.k, generator=g).to(device, dt)
    b = torch.randn(args.k, args.n, generator=g).to(device, dt)
    c = torch.empty(args.m, args.n, dtype=dt, device=device)
    for _ in range(args.warmup):
        torch.matmul(a, b, out=c)
    sync(device)
    times = []
    for _ in range(args.iters):
        t = time.perf_counter()
        torch.matmul(a, b, out=c)
        sync(device)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return {"gflops": 2.0 * args.m * args.k * args.n / med / 1e9, "median_ms": med * 1e3, "min_ms": min(times) * 1e3,
            "m": args.m, "k": args.k, "n": args.n}


def make_data(n, d_in, rank, g):
    """Rank-`rank` Gaussian rows, decaying spectrum 3 -> 0.3, noise 0.3, mean offset 0.5, E||x|| = sqrt(d_in)."""
    u = torch.randn(rank, d_in, generator=g) / math.sqrt(d_in)
    spectrum = torch.linspace(3.0, 0.3, rank)
    x = (torch.randn(n, rank, generator=g) * spectrum) @ u * math.sqrt(d_in / rank)
    x += 0.3 * torch.randn(n, d_in, generator=g)
    x += 0.5 * torch.randn(1, d_in, generator=g)
    x *= math.sqrt(d_in) / x.norm(dim=1).mean()
    return x.contiguous()


class Sae(torch.nn.Module):
    def __init__(self, arch, d_in, d_sae, k, sparse_decoder, l1, g):
        super().__init__()
        self.arch, self.k, self.sparse_decoder, self.l1 = arch, k, sparse_decoder, l1
        w = torch.randn(d_sae, d_in, generator=g)
        w /= w.norm(dim=1, keepdim=True)
        if arch == "relu":
            w *= 0.1
        self.W_dec = torch.nn.Parameter(w)                  # [d_sae, d_in], row i = atom i
        self.W_enc = torch.nn.Parameter(w.clone())          # [d_sae, d_in]
        self.b_enc = torch.nn.Parameter(torch.zeros(d_sae))
        self.b_dec = torch.nn.Parameter(torch.zeros(d_in))

    def forward(self, x):
        z = F.linear(x - self.b_dec, self.W_enc, self.b_enc)                       # [B, d_sae]
        if self.arch == "relu":
            f = F.relu(z)
            x_hat = f @ self.W_dec + self.b_dec
            mse = (x_hat.float() - x).pow(2).sum(-1).mean()
            l1 = (f.float().sum(0) * self.W_dec.norm(dim=1)).sum() / x.shape[0]
            return mse + self.l1 * l1
        values, indices = z.topk(self.k, dim=-1, sorted=False)                    # [B, k]
        values = F.relu(values)
        if self.sparse_decoder:
            x_hat = F.embedding_bag(indices, self.W_dec, per_sample_weights=values.to(self.W_dec.dtype), mode="sum") + self.b_dec
        else:
            f = torch.zeros_like(z).scatter(1, indices, values)
            x_hat = f @ self.W_dec + self.b_dec
        return (x_hat.float() - x).pow(2).sum(-1).mean()

    @torch.no_grad()
    def before_step(self):
        if self.arch == "topk" and self.W_dec.grad is not None:
            self.W_dec.grad -= self.W_dec * (self.W_dec.grad * self.W_dec).sum(1, keepdim=True)

    @torch.no_grad()
    def after_step(self):
        if self.arch == "topk":
            self.W_dec /= self.W_dec.norm(dim=1, keepdim=True).clamp(min=1e-12)


def sae(args, device):
    g = torch.Generator().manual_seed(args.seed)
    data = make_data(args.batch * args.pool, args.d_in, 64, g).to(device)
    model = Sae(args.arch, args.d_in, args.d_sae, args.k, args.sparse_decoder, 5.0, g).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4 if args.arch == "relu" else 2e-4)
    dt = dtype_of(args.dtype)

    def step(i):
        x = data[(i % args.pool) * args.batch:(i % args.pool + 1) * args.batch]
        with autocast(device, dt):
            loss = model(x)
        loss.backward()
        model.before_step()
        opt.step()
        model.after_step()
        opt.zero_grad(set_to_none=False)
        return loss.item()                                     # also waits for the device

    first = None
    for i in range(args.warmup):
        loss = step(i)
        first = loss if first is None else first
    times, last = [], None
    for i in range(args.steps):
        t = time.perf_counter()
        last = step(args.warmup + i)
        times.append(time.perf_counter() - t)
        first = last if first is None else first
    tps = args.batch * args.steps / sum(times)
    return {"tokens_per_s": tps, "gflops": 12.0 * args.d_in * args.d_sae * tps / 1e9,
            "step_ms_median": statistics.median(times) * 1e3, "first_loss": first, "last_loss": last,
            "arch": args.arch, "d_in": args.d_in, "d_sae": args.d_sae, "k": args.k if args.arch == "topk" else None,
            "batch": args.batch, "steps": args.steps, "decoder": "embedding_bag" if args.sparse_decoder else "dense"}


class Block(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.c_attn, self.c_proj = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d)
        self.c_fc, self.mlp_proj = torch.nn.Linear(d, 4 * d), torch.nn.Linear(4 * d, d)

    def attention(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (y.view(b, t, self.heads, d // self.heads).transpose(1, 2) for y in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:                                                    # PyTorch 1.x: explicit causal attention
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
            att = att.masked_fill(torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf")).softmax(-1)
            y = att @ v
        return self.c_proj(y.transpose(1, 2).reshape(b, t, d))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


def capture(args, device):
    sizes = {"small": (768, 12, 12), "tiny": (128, 2, 4)}
    d, layers, heads = sizes[args.size]
    vocab, positions = 50257, 1024
    torch.manual_seed(args.seed)
    dt = dtype_of(args.dtype)
    wte, wpe = torch.nn.Embedding(vocab, d), torch.nn.Embedding(positions, d)
    blocks = torch.nn.ModuleList(Block(d, heads) for _ in range(args.layer + 1))
    for m in (wte, wpe, blocks):
        for p in m.parameters():
            torch.nn.init.normal_(p, std=0.02) if p.dim() > 1 else None
        m.to(device)
    g = torch.Generator().manual_seed(args.seed + 1)
    batches = args.warmup + args.iters
    ids = torch.randint(0, vocab, (batches, args.batch, args.context), generator=g).to(device)
    buffer = torch.empty(args.iters * args.batch * args.context, d, device=device)
    pos = torch.arange(args.context, device=device)
    times = []
    with torch.no_grad(), autocast(device, dt):
        for i in range(batches):
            t = time.perf_counter()
            x = wte(ids[i]) + wpe(pos)
            for block in blocks:                                 # blocks[0..layer]: resid_post of block `layer`
                x = block(x)
            if i >= args.warmup:
                n = args.batch * args.context
                buffer[(i - args.warmup) * n:(i - args.warmup + 1) * n].copy_(x.reshape(-1, d))
                sync(device)
                times.append(time.perf_counter() - t)
    tokens = args.batch * args.context
    flop = (args.layer + 1) * (2 * 12 * d * d + 2 * 2 * args.context * d)
    tps = tokens * len(times) / sum(times)
    return {"tokens_per_s": tps, "gflops": flop * tps / 1e9, "batch_ms_median": statistics.median(times) * 1e3,
            "flop_per_token": flop, "size": args.size, "layer": args.layer, "batch": args.batch, "context": args.context}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="bench", required=True)
    m = sub.add_parser("matmul")
    m.add_argument("--m", type=int, default=4096)
    m.add_argument("--k", type=int, default=512)
    m.add_argument("--n", type=int, default=8192)
    m.add_argument("--iters", type=int, default=10)
    m.add_argument("--warmup", type=int, default=2)
    s = sub.add_parser("sae")
    s.add_argument("--arch", choices=["relu", "topk"], default="relu")
    s.add_argument("--d-in", type=int, default=512)
    s.add_argument("--d-sae", type=int, default=4096)
    s.add_argument("--k", type=int, default=32)
    s.add_argument("--batch", type=int, default=4096)
    s.add_argument("--steps", type=int, default=5)
    s.add_argument("--warmup", type=int, default=3)
    s.add_argument("--pool", type=int, default=4, help="batches of data on the device, cycled")
    s.add_argument("--sparse-decoder", action="store_true", help="topk: decode with embedding_bag over the k rows")
    s.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("capture")
    c.add_argument("--size", choices=["small", "tiny"], default="small")
    c.add_argument("--layer", type=int, default=5, help="capture resid_post of this block (0-based)")
    c.add_argument("--batch", type=int, default=8)
    c.add_argument("--context", type=int, default=128)
    c.add_argument("--iters", type=int, default=10)
    c.add_argument("--warmup", type=int, default=3)
    c.add_argument("--seed", type=int, default=0)
    for p in (m, s, c):
        p.add_argument("--device", default="cpu")
        p.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32")
        p.add_argument("--threads", type=int, default=None, help="CPU intra-op threads")
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"torch_ref: this PyTorch ({torch.__version__}) sees no CUDA device", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = False                # fp32 means fp32, as in Runner
    result = {"matmul": matmul, "sae": sae, "capture": capture}[args.bench](args, device)
    result.update({"device": str(device), "dtype": args.dtype, "torch": torch.__version__,
                   "cuda": torch.version.cuda, "threads": torch.get_num_threads()})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
