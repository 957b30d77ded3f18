#!/usr/bin/env bats
# ccmc-estimate --embeddings --bootstrap: percentile intervals of the
# entries of W, against a re-implementation in python (standard library):
# the same resampling of the records (ChaCha20 keyed by BLAKE2b as in
# lib/rng, Lemire's rng_below), an independent Newton fit of each
# resample, and the percentiles.  And what the W-fit cannot do (--rows).

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	cd "$T"
}

# A headless model, K 6, d 2 (Gaussian E and W from python's generator),
# and its data: 60 samples and 12 trajectories of 5 steps.
data() {
	py >model <<'EOF2'
import json, random
K, d = 6, 2
r = random.Random(3)
E = [[r.gauss(0, 1) for _ in range(d)] for _ in range(K)]
W = [[r.gauss(0, 1) for _ in range(d)] for _ in range(d)]
print(json.dumps({"type": "attn-model", "K": K, "d": d, "E": E, "W": W,
                  "C": None, "pos": None}))
EOF2
	attn-sample -n 60 --len 4 --seed 2 model >s
	attn-sample -n 12 --len 3 --trajectory --steps 5 --seed 3 model |
	    grep trajectory >>s
}

@test "--bootstrap: the intervals of a python re-implementation (same resamples of records, own Newton fit, percentiles), 1e-6" {
	data
	ccmc-estimate --embeddings model --bootstrap 25 --seed 9 s >out
	py out model s <<'EOF2'
import hashlib, json, math, struct, sys

def chacha20_blocks(key, nonce, counter):
    """The DJB ChaCha20 keystream (64-bit counter, 8-byte nonce)."""
    def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))
    k = struct.unpack("<8I", key); n = struct.unpack("<2I", nonce)
    while True:
        s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, *k,
             counter & 0xffffffff, counter >> 32, *n]
        x = s[:]
        for _ in range(10):
            for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14),
                               (3, 7, 11, 15), (0, 5, 10, 15), (1, 6, 11, 12),
                               (2, 7, 8, 13), (3, 4, 9, 14)):
                x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = rotl(x[d] ^ x[a], 16)
                x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = rotl(x[b] ^ x[c], 12)
                x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = rotl(x[d] ^ x[a], 8)
                x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = rotl(x[b] ^ x[c], 7)
        yield struct.pack("<16I", *((x[i] + s[i]) & 0xffffffff for i in range(16)))
        counter += 1

class Rng:
    def __init__(self, seed, domain, stream):
        h = hashlib.blake2b(digest_size=32)
        h.update(b"attn-ccmc toolkit seed v1\0")
        h.update(struct.pack("<Q", seed))
        h.update(domain.encode() + b"\0")
        self.blocks = chacha20_blocks(h.digest(), struct.pack("<Q", stream), 0)
        self.buf = b""
    def u32(self):
        if len(self.buf) < 4:
            self.buf += next(self.blocks)
        v = struct.unpack("<I", self.buf[:4])[0]; self.buf = self.buf[4:]
        return v
    def below(self, n):
        m = self.u32() * n
        if m & 0xffffffff < n:
            t = (2 ** 32 - n) % n
            while m & 0xffffffff < t:
                m = self.u32() * n
        return m >> 32

out = json.load(open(sys.argv[1])); E = json.load(open(sys.argv[2]))["E"]
d = len(E[0]); p = d * d
recs = []                         # per record: its samples (context, y)
for line in open(sys.argv[3]):
    r = json.loads(line)
    if r["type"] == "sample":
        recs.append([(r["prompt"], r["y"])])
    elif r["type"] == "trajectory":
        ctx, s = r["prompt"], []
        for y in r["tokens"]:
            s.append((ctx, y)); ctx = ctx + [y]
        recs.append(s)

def terms(W, samples):
    """loglik, gradient (p) and negative Hessian (p x p) of weighted samples."""
    ll, g, H = 0.0, [0.0] * p, [[0.0] * p for _ in range(p)]
    for (x, y), w in samples:
        q = E[x[-1]]
        u = [sum(q[a] * W[a * d + b] for a in range(d)) for b in range(d)]
        sc = [sum(u[b] * E[k][b] for b in range(d)) for k in x]
        mx = max(sc); al = [math.exp(v - mx) for v in sc]; z = sum(al)
        al = [a / z for a in al]
        ll += w * math.log(sum(a for a, k in zip(al, x) if k == y))
        m = [sum(a * E[k][b] for a, k in zip(al, x)) for b in range(d)]
        cov = [[sum(a * E[k][b] * E[k][c] for a, k in zip(al, x)) - m[b] * m[c]
                for c in range(d)] for b in range(d)]
        for a in range(d):
            for b in range(d):
                g[a * d + b] += w * q[a] * (E[y][b] - m[b])
                for a2 in range(d):
                    for b2 in range(d):
                        H[a * d + b][a2 * d + b2] += w * q[a] * q[a2] * cov[b][b2]
    return ll, g, H

def solve(A, v):
    n = len(v); M = [row[:] + [v[i]] for i, row in enumerate(A)]
    for c in range(n):
        r = max(range(c, n), key=lambda i: abs(M[i][c])); M[c], M[r] = M[r], M[c]
        for i in range(n):
            if i != c:
                f = M[i][c] / M[c][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[c])]
    return [M[i][n] / M[i][i] for i in range(n)]

def fit(samples):
    W = [0.0] * p
    for _ in range(100):
        ll, g, H = terms(W, samples)
        step = solve(H, g); t = 1.0
        if max(abs(v) for v in step) < 1e-8:   # quadratic: next 1e-16
            return [a + b for a, b in zip(W, step)]
        while terms([a + t * b for a, b in zip(W, step)], samples)[0] < ll and t > 1e-9:
            t /= 2
        W = [a + t * b for a, b in zip(W, step)]
    raise SystemExit("python's Newton did not converge")

def quantile(x, q):
    at = q * (len(x) - 1); k = int(at)
    return x[k] + ((at - k) * (x[k + 1] - x[k]) if k + 1 < len(x) else 0)

bs = out["meta"]["wfit"]["bootstrap"]
assert bs["B"] == 25 and bs["seed"] == 9 and bs["resampled"] == "records", bs
assert bs["unconverged"] == 0
draws = []
for b in range(25):
    rng = Rng(9, "wfit-bootstrap", b)
    count = [0] * len(recs)
    for _ in range(len(recs)):
        count[rng.below(len(recs))] += 1
    draws.append(fit([(s, c) for r, c in zip(recs, count) if c for s in r]))
worst = 0
for i in range(p):
    x = sorted(w[i] for w in draws)
    lo, hi = quantile(x, 0.025), quantile(x, 0.975)
    worst = max(worst, abs(lo - bs["lo"][i // d][i % d]), abs(hi - bs["hi"][i // d][i % d]))
    assert lo < out["W"][i // d][i % d] < hi, (i, lo, hi)
assert worst <= 1e-6, worst
EOF2
}

@test "--bootstrap: the same with the same --seed, other intervals with another; the fit itself unchanged; --brief leaves it out" {
	data
	ccmc-estimate --embeddings model --bootstrap 10 --seed 4 s >a
	ccmc-estimate --embeddings model --bootstrap 10 --seed 4 s >b
	ccmc-estimate --embeddings model --bootstrap 10 --seed 5 s >c
	ccmc-estimate --embeddings model s >plain
	cmp a b
	py a c plain <<'EOF2'
import json, sys
a, c, plain = (json.load(open(f)) for f in sys.argv[1:4])
ba = a["meta"]["wfit"].pop("bootstrap"); bc = c["meta"]["wfit"].pop("bootstrap")
assert a == plain, "the bootstrap changed the fit"
assert ba["lo"] != bc["lo"] and ba["hi"] != bc["hi"]
assert all(l < h for rl, rh in zip(ba["lo"], ba["hi"]) for l, h in zip(rl, rh))
EOF2
	ccmc-estimate --embeddings model --bootstrap 10 --brief s >br
	! grep -q bootstrap br
}

@test "--bootstrap: entries the data leave undetermined (one-hot E: a row's constant) have no interval" {
	py >model <<'EOF2'
import json
K = 3
E = [[float(i == j) for j in range(K)] for i in range(K)]
W = [[0.5, -1, 0.3], [1, 0, -0.7], [-0.2, 0.9, 0.1]]
print(json.dumps({"type": "attn-model", "K": K, "d": K, "E": E, "W": W, "C": None, "pos": None}))
EOF2
	attn-sample -n 300 --len 5 --seed 7 model >s
	ccmc-estimate --embeddings model --bootstrap 10 s >out
	py out <<'EOF2'
import json, sys
w = json.load(open(sys.argv[1]))["meta"]["wfit"]
assert w["null_dim"] == 3 and w["undetermined_entries"] == 9, w
b = w["bootstrap"]
assert all(x is None for r in b["lo"] + b["hi"] for x in r), b
EOF2
}

@test "--bootstrap needs the dense Newton fit; --rows and --merge do not go with --embeddings (exit 2, the reason in one line)" {
	data
	run ccmc-estimate --embeddings model --bootstrap 5 --method cg s
	assert_error 2 ccmc-estimate
	[[ $output == *"needs the dense Newton fit"* ]]
	run ccmc-estimate --embeddings model --rows 1/2 s
	assert_error 2 ccmc-estimate
	[[ $output == *"the rows share one W"*"fit W in one run" ]]
	[ "${#lines[@]}" -eq 1 ]
	run ccmc-estimate --embeddings model --merge s
	assert_error 2 ccmc-estimate
}
