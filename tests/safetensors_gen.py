#!/usr/bin/env python3
"""Writes the .safetensors files tests/test_weights.c loads, by hand (numpy,
no torch): the names and shapes of the official ReActNet-A state_dict, with
values from a formula of the name and the flat (PyTorch layout) index that
the C test recomputes, and files broken one way each.

usage: safetensors_gen.py DIR   (writes DIR/<case>.safetensors)

Value of element j of tensor NAME (NAME without "module.", binary convs
under their official ".weights" name): k = (fnv1a32(NAME) + 37 j) mod 509 -
254, value k / 128 (|value| for running_var). Every such value is exact in
F32, F16 and BF16. Broken files only need a valid data section's size: their
data is a sparse run of zeros, so they cost nothing to write.
"""
import json
import os
import sys

try:
    import numpy as np
except ImportError:  # tensors() needs none (tests/weights_rule.sh); writing does
    np = None

OUT = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]


def fnv1a32(s):
    h = 2166136261
    for b in s.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def tensors(conv_alias=False):
    """(name, shape, kind) of the network in state_dict order; kind is
    'f' (float parameter), 'n' (num_batches_tracked) or 'b' (binary conv,
    official flat [numel, 1]; conv_alias: '.weight' [o, i, kh, kw])."""
    t = [("feature.0.conv1.weight", (32, 3, 3, 3), "f")]

    def bn(m, c):
        for f in ("weight", "bias", "running_mean", "running_var"):
            t.append(("%s.%s" % (m, f), (c,), "f"))
        t.append((m + ".num_batches_tracked", (), "n"))

    def bconv(m, o, i, k):
        if conv_alias:
            t.append((m + ".weight", (o, i, k, k), "b"))
        else:
            t.append((m + ".weights", (o * i * k * k, 1), "b"))

    def bias(m, c):
        t.append((m + ".bias", (1, c, 1, 1), "f"))

    bn("feature.0.bn1", 32)
    for i in range(1, 14):
        c, k, f = OUT[i - 1], OUT[i], "feature.%d" % i
        bias(f + ".move11", c)
        bconv(f + ".binary_3x3", c, c, 3)
        bn(f + ".bn1", c)
        bias(f + ".move12", c)
        t.append((f + ".prelu1.weight", (c,), "f"))
        bias(f + ".move13", c)
        bias(f + ".move21", c)
        if k == c:
            bconv(f + ".binary_pw", c, c, 1)
            bn(f + ".bn2", c)
        else:
            bconv(f + ".binary_pw_down1", c, c, 1)
            bconv(f + ".binary_pw_down2", c, c, 1)
            bn(f + ".bn2_1", c)
            bn(f + ".bn2_2", c)
        bias(f + ".move22", k)
        t.append((f + ".prelu2.weight", (k,), "f"))
        bias(f + ".move23", k)
    t.append(("fc.weight", (1000, 1024), "f"))
    t.append(("fc.bias", (1000,), "f"))
    return t


def key(name):
    """The formula's name: the official one."""
    return name[:-len(".weight")] + ".weights" if (
        "binary_" in name and name.endswith(".weight")) else name


def values(name, n):
    j = np.arange(n, dtype=np.int64)
    v = (((fnv1a32(key(name)) + 37 * j) % 509 - 254) / 128.0).astype(np.float32)
    return np.abs(v) if name.endswith("running_var") else v


SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "F64": 8}


def encode(v, dtype):
    if dtype == "F32":
        return v.astype("<f4").tobytes()
    if dtype == "F16":
        return v.astype("<f2").tobytes()
    if dtype == "BF16":
        # The values have 8 significant bits: the top half of the float is exact.
        return (v.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
    raise ValueError(dtype)


def layout(entries):
    """entries: [(name, dtype, shape)] -> header dict, data size."""
    hdr, at = {}, 0
    for name, dtype, shape in entries:
        n = int(np.prod(shape, dtype=np.int64))
        hdr[name] = {"dtype": dtype, "shape": list(shape),
                     "data_offsets": [at, at + n * SIZE[dtype]]}
        at += n * SIZE[dtype]
    return hdr, at


def header_bytes(hdr, indent=None):
    h = json.dumps(hdr, indent=indent, separators=None if indent else (",", ":")).encode()
    return h + b" " * (-len(h) % 8)   # safetensors pads the header to 8 bytes


def write(path, hjson, dsize, chunks=(), hlen=None, size=None):
    """The header, then a data section of dsize bytes that is zero except
    chunks [(offset, bytes)]; hlen and size override the length field and
    the file's size (truncation)."""
    with open(path, "wb") as f:
        f.write((len(hjson) if hlen is None else hlen).to_bytes(8, "little"))
        f.write(hjson)
        base = f.tell()
        for off, b in chunks:
            f.seek(base + off)
            f.write(b)
        f.truncate(base + dsize if size is None else size)


def full(path, prefix, mixed, conv_alias, counter_dtype, metadata):
    """A valid file with every value from the formula."""
    ent = []
    for i, (name, shape, kind) in enumerate(tensors(conv_alias)):
        if kind == "n":
            dt = counter_dtype
        else:
            dt = ("F32", "F16", "BF16")[i % 3] if mixed else "F32"
        ent.append((prefix + name, dt, shape, kind, name))
    hdr, dsize = layout([(e[0], e[1], e[2]) for e in ent])
    if metadata:
        hdr["__metadata__"] = {"format": "pt"}
    chunks = []
    for name, dt, shape, kind, bare in ent:
        off = hdr[name]["data_offsets"][0]
        if kind == "n":
            chunks.append((off, (12345).to_bytes(SIZE[dt], "little")))
        else:
            chunks.append((off, encode(values(bare, int(np.prod(shape))), dt)))
    write(path, header_bytes(hdr), dsize, chunks)


def base_entries():
    return [(n, "I64" if k == "n" else "F32", s) for n, s, k in tensors()]


def broken(d):
    """name -> file, each broken one way, zero data."""
    def put(case, entries, **kw):
        hdr, dsize = layout(entries)
        write(os.path.join(d, case + ".safetensors"), header_bytes(hdr), dsize, **kw)
        return hdr, dsize

    e = base_entries()
    put("missing", [x for x in e if x[0] != "feature.7.bn1.running_mean"])
    put("extra", e + [("feature.1.extra.weight", "F32", (4,))])
    put("shape", [(n, t, (65,) if n == "feature.2.prelu1.weight" else s) for n, t, s in e])
    put("flatshape", [(n, t, (36864, 2) if n == "feature.2.binary_3x3.weights" else s)
                      for n, t, s in e])
    put("dtype", [(n, "I32" if n == "feature.3.bn2.bias" else t, s) for n, t, s in e])
    put("dtype64", [(n, "F64" if n == "fc.bias" else t, s) for n, t, s in e])
    put("counterdtype", [(n, "F32" if n == "feature.5.bn1.num_batches_tracked" else t, s)
                         for n, t, s in e])
    put("mixed", [("module." + n if n.startswith("feature.4.") else n, t, s) for n, t, s in e])
    put("both", e + [("feature.7.binary_pw.weight", "F32", (512, 512, 1, 1))])

    hdr, dsize = layout(e)
    hj = header_bytes(hdr)
    p = lambda case: os.path.join(d, case + ".safetensors")
    write(p("truncated"), hj, dsize, size=8 + len(hj) + dsize - 1000)
    write(p("hlen"), hj, dsize, hlen=8 + len(hj) + dsize)
    write(p("trailing"), hj, dsize + 16)
    write(p("short"), b"", 0, hlen=0, size=5)

    def edit(case, name, offsets=None, dtype=None):
        h = json.loads(json.dumps(hdr))
        if offsets:
            h[name]["data_offsets"] = offsets(h[name]["data_offsets"])
        if dtype:
            h[name]["dtype"] = dtype
        write(p(case), header_bytes(h), dsize)

    edit("range", "fc.bias", lambda o: [o[0], dsize + 4])
    edit("offsize", "fc.bias", lambda o: [o[0], o[1] - 4])
    edit("overlap", "feature.1.move12.bias", lambda o: [o[0] - 4, o[1] - 4])
    edit("baddtype", "feature.9.prelu2.weight", dtype="Q4")

    # Malformed JSON on line 3 of a multi-line header: a comma goes missing.
    text = json.dumps(hdr, indent=1).encode()
    lines = text.split(b"\n")
    assert lines[2].endswith(b",")
    lines[2] = lines[2][:-1]
    write(p("json"), b"\n".join(lines), dsize)
    write(p("notobject"), b"[1, 2]  ", 0)
    dup = hj.rstrip()[:-1] + b',"fc.bias":{"dtype":"F32","shape":[1000],"data_offsets":[0,4000]}}'
    write(p("duplicate"), dup, dsize)
    meta = dict(hdr)
    meta["__metadata__"] = {"format": 1}
    write(p("metadata"), header_bytes(meta), dsize)

    # Values: one NaN in fc.weight, one negative running_var.
    o = hdr["fc.weight"]["data_offsets"][0]
    write(p("nan"), hj, dsize, [(o + 4 * 777, np.float32("nan").tobytes())])
    o = hdr["feature.8.bn2.running_var"]["data_offsets"][0]
    write(p("negvar"), hj, dsize, [(o + 4 * 3, np.float32(-0.5).tobytes())])


def main():
    d = sys.argv[1]
    full(os.path.join(d, "full.safetensors"), "", True, False, "I64", True)
    full(os.path.join(d, "module.safetensors"), "module.", False, True, "I32", False)
    broken(d)


if __name__ == "__main__":
    main()
