#!/usr/bin/env python3
"""Writes a GPT-2-small-shaped Hugging Face checkpoint with random weights (no downloads, no numpy):
config.json (12 layers, d 768, 12 heads, vocab 50257, 1024 positions), model.safetensors (124M float32
weights: N(0, 0.02) from a tiled random block, layer norms at 1/0) and a byte-level tokenizer with
placeholder tokens up to id 50256 (<|endoftext|>). For estimates (runner run --dry-run) and throughput
runs, where what matters is the shape, not what the model knows.

usage: bench/random-gpt2-small.py OUT_DIR [--layers N]
"""
import json, os, random, struct, sys

def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    layers = int(sys.argv[sys.argv.index("--layers") + 1]) if "--layers" in sys.argv else 12
    d, vocab, positions = 768, 50257, 1024
    os.makedirs(out, exist_ok=True)
    json.dump({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": vocab, "n_embd": d,
               "n_layer": layers, "n_head": 12, "n_positions": positions, "n_ctx": positions, "n_inner": None,
               "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "bos_token_id": 50256,
               "eos_token_id": 50256, "tie_word_embeddings": True}, open(os.path.join(out, "config.json"), "w"))
    tensors = [("transformer.wte.weight", [vocab, d], "normal"), ("transformer.wpe.weight", [positions, d], "normal")]
    for i in range(layers):
        p = f"transformer.h.{i}."
        tensors += [(p + "ln_1.weight", [d], "ones"), (p + "ln_1.bias", [d], "zeros"),
                    (p + "attn.c_attn.weight", [d, 3 * d], "normal"), (p + "attn.c_attn.bias", [3 * d], "zeros"),
                    (p + "attn.c_proj.weight", [d, d], "normal"), (p + "attn.c_proj.bias", [d], "zeros"),
                    (p + "ln_2.weight", [d], "ones"), (p + "ln_2.bias", [d], "zeros"),
                    (p + "mlp.c_fc.weight", [d, 4 * d], "normal"), (p + "mlp.c_fc.bias", [4 * d], "zeros"),
                    (p + "mlp.c_proj.weight", [4 * d, d], "normal"), (p + "mlp.c_proj.bias", [d], "zeros")]
    tensors += [("transformer.ln_f.weight", [d], "ones"), ("transformer.ln_f.bias", [d], "zeros")]
    header, offset = {}, 0
    for name, shape, _ in tensors:
        n = 4
        for s in shape:
            n *= s
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    rng = random.Random(0)
    block = struct.pack("<65536f", *(rng.gauss(0, 0.02) for _ in range(65536)))   # 256 KiB, tiled
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name, shape, kind in tensors:
            n = 1
            for s in shape:
                n *= s
            if kind == "normal":
                left = 4 * n
                while left > 0:
                    f.write(block[:min(left, len(block))])
                    left -= len(block)
            else:
                f.write(struct.pack("<f", 1.0 if kind == "ones" else 0.0) * n)
    symbols = byte_symbols()
    vocab_json = {symbols[b]: b for b in range(256)}
    for i in range(256, vocab - 1):
        vocab_json[f"<tok{i}>"] = i
    vocab_json["<|endoftext|>"] = vocab - 1
    json.dump(vocab_json, open(os.path.join(out, "vocab.json"), "w"))
    open(os.path.join(out, "merges.txt"), "w").write("#version: 0.2\n")
    json.dump({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "add_prefix_space": False},
              open(os.path.join(out, "tokenizer_config.json"), "w"))
    print(f"{out}: GPT-2-small-shaped random checkpoint, {layers} layers, {offset / 1e6:.0f} MB of weights")

def byte_symbols():
    # GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to 256 + n.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}

if __name__ == "__main__":
    main()
