#!/usr/bin/env bats
# Weight files: attn-models whose arrays are in .npy, .npz or .safetensors
# files written here in python (the standard library's struct and zipfile:
# the formats' own definitions, not the toolkit's writer) read exactly as
# the same model in JSON; attn-gen-model's files read back in python; and
# every lie a header can tell is one line naming file and tensor, exit 65.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	cat >wref.py <<'PY'
import json, math, struct, zipfile

def npy(a, descr="<f8", fortran=False):
    """The bytes np.save writes for a 2-D list a (version 1.0)."""
    r, c = len(a), len(a[0])
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': (%d, %d), }" % (
        descr, "True" if fortran else "False", r, c)
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    flat = [a[i][j] for j in range(c) for i in range(r)] if fortran else \
        [x for row in a for x in row]
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + pack(flat, descr)

def bf16(x):
    u = struct.unpack("<I", struct.pack("<f", x))[0]
    return (u + 0x7fff + ((u >> 16) & 1)) >> 16

def pack(flat, descr):
    if descr == "bf16":
        return b"".join(struct.pack("<H", bf16(x)) for x in flat)
    return struct.pack("<%d%s" % (len(flat), {"<f8": "d", "<f4": "f", "<f2": "e"}[descr]), *flat)

def rounded(a, descr):
    """a as the dtype holds it, back in float64."""
    if descr == "<f8": return a
    if descr == "bf16":
        return [[struct.unpack("<f", struct.pack("<I", bf16(x) << 16))[0] for x in r] for r in a]
    f = {"<f4": "f", "<f2": "e"}[descr]
    return [[struct.unpack("<" + f, struct.pack("<" + f, x))[0] for x in r] for r in a]

def safetensors(path, arrays, dtype="F64"):
    descr = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "bf16"}[dtype]
    head, data = {}, b""
    for name, a in arrays.items():
        b = pack([x for row in a for x in row], descr)
        head[name] = {"dtype": dtype, "shape": [len(a), len(a[0])],
                      "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(head).encode()
    h += b" " * (-len(h) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)

def npz(path, arrays, descr="<f8"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            z.writestr(name + ".npy", npy(a, descr))

def model(path):
    return json.loads(open(path).readline())
PY
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3 --seed 3 >m.json
}

@test "float64 .safetensors, .npz and per-tensor .npy (C and Fortran order) read as the JSON model, bit for bit" {
	py <<'PY'
import json, sys
sys.path.insert(0, ".")
from wref import *
m = model("m.json")
arrs = {"E": m["E"], "W": m["W"], "C": m["C"], "R": m["pos"]["R"]}
safetensors("m.safetensors", arrs)
npz("m.npz", arrs)
for n, a in arrs.items():
    open(n + ".npy", "wb").write(npy(a, fortran=(n == "W")))
rec = {"type": "attn-model", "K": 6, "d": 9, "meta": m["meta"]}
for name, w in [("st", "m.safetensors"), ("z", "m.npz"),
                ("y", {n: n + ".npy" for n in arrs})]:
    open(name + ".json", "w").write(json.dumps(dict(rec, weights=w)) + "\n")
PY
	attn-to-ccmc m.json >want
	for f in st z y; do
		attn-to-ccmc $f.json >got
		cmp want got
	done
}

@test "float32, float16 and bfloat16 .safetensors: the values as the dtype holds them (python rounding), model refused untied, --retie ties it" {
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --seed 3 >m.json
	for dt in F32 F16 BF16; do
		py $dt <<'PY'
import json, sys
sys.path.insert(0, ".")
from wref import *
dt = sys.argv[1]; descr = {"F32": "<f4", "F16": "<f2", "BF16": "bf16"}[dt]
m = model("m.json")
arrs = {"E": m["E"], "W": m["W"], "C": m["C"]}
safetensors("w.safetensors", arrs, dt)
open("w.json", "w").write(json.dumps({"type": "attn-model", "weights": "w.safetensors"}) + "\n")
r = {n: rounded(a, descr) for n, a in arrs.items()}
json.dump({"type": "attn-model", "K": 6, "d": 9, "E": r["E"], "W": r["W"], "C": r["C"],
           "pos": None}, open("r.json", "w"))
PY
		run attn-to-ccmc w.json
		assert_error 65 attn-to-ccmc
		[[ $output == *"not tied"* ]]
		# what was read is what python rounded: the same model, the same retie
		attn-to-ccmc --retie --tie-tol 1e-2 w.json >got
		attn-to-ccmc --retie --tie-tol 1e-2 r.json >want
		cmp got want
	done
}

@test "attn-gen-model --weights: python reads the arrays back; .npz and .safetensors give the model of the JSON" {
	for dt in float64 float32 float16 bfloat16; do
		attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3 --seed 3 \
		    --weights g.safetensors --dtype $dt >g.json
		py $dt <<'PY'
import json, struct, sys
sys.path.insert(0, ".")
from wref import *
dt = sys.argv[1]
m = model("m.json"); g = model("g.json")
assert g["weights"] == "g.safetensors" and g["K"] == 6 and g["d"] == 9
b = open("g.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); data = b[8 + n:]
descr = {"float64": "<f8", "float32": "<f4", "float16": "<f2", "bfloat16": "bf16"}[dt]
size = {"<f8": 8, "<f4": 4, "<f2": 2, "bf16": 2}[descr]
for name, a in [("E", m["E"]), ("W", m["W"]), ("C", m["C"]), ("R", m["pos"]["R"])]:
    t = h[name]
    assert t["dtype"] == {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16"}[dt]
    assert t["shape"] == [len(a), len(a[0])]
    lo, hi = t["data_offsets"]
    assert hi - lo == len(a) * len(a[0]) * size
    assert data[lo:hi] == pack([x for r in a for x in r], descr), name
PY
	done
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3 --seed 3 --weights g.npz >gz.json
	py <<'PY'
import sys, zipfile
sys.path.insert(0, ".")
from wref import *
m = model("m.json")
z = zipfile.ZipFile("g.npz"); assert z.testzip() is None
assert sorted(z.namelist()) == ["C.npy", "E.npy", "R.npy", "W.npy"]
assert z.read("E.npy") == npy(m["E"]) and z.read("R.npy") == npy(m["pos"]["R"])
PY
	attn-to-ccmc m.json >want
	attn-to-ccmc gz.json >got
	cmp want got
}

@test "weights paths are relative to the record's file; headless weights and a W-fit from them" {
	mkdir sub
	attn-gen-model --headless --vocab 3000 --dim 4 --embed gaussian --weights sub/h.safetensors --dtype float32 |
	    sed 's|"sub/h.safetensors"|"h.safetensors"|' >sub/h.json
	grep -q '"C":null' sub/h.json
	attn-sample -n 3000 --len 12 --seed 2 sub/h.json >sub/s
	head -1 sub/s | grep -q '"weights":"h.safetensors"'
	ccmc-estimate --embeddings sub/h.json sub/s >w
	py <<'PY'
import json
w = json.load(open("w"))
f = w["meta"]["wfit"]
assert w["K"] == 3000 and f["converged"] and f["rank"] == 16 and f["truth"]["loglik"] <= f["loglik"]
PY
}

@test "header lies: one line naming the file and the tensor, exit 65" {
	py <<'PY'
import json, struct, sys, zipfile
sys.path.insert(0, ".")
from wref import *
m = model("m.json")
E, W = m["E"], m["W"]
def st(path, head, data):
    h = json.dumps(head).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)
eb = pack([x for r in E for x in r], "<f8"); wb = pack([x for r in W for x in r], "<f8")
cases = {
  "past":    ({"E": {"dtype": "F64", "shape": [6, 9], "data_offsets": [0, len(eb)]},
               "W": {"dtype": "F64", "shape": [9, 9], "data_offsets": [len(eb), len(eb) + len(wb) + 8]}}, eb + wb),
  "overlap": ({"E": {"dtype": "F64", "shape": [6, 9], "data_offsets": [0, len(eb)]},
               "W": {"dtype": "F64", "shape": [9, 9], "data_offsets": [8, 8 + len(wb)]}}, eb + wb),
  "size":    ({"E": {"dtype": "F64", "shape": [6, 9], "data_offsets": [0, len(eb) - 8]},
               "W": {"dtype": "F64", "shape": [9, 9], "data_offsets": [len(eb), len(eb) + len(wb)]}}, eb + wb),
  "dtype":   ({"E": {"dtype": "I32", "shape": [6, 9], "data_offsets": [0, len(eb)]}}, eb),
  "shape":   ({"E": {"dtype": "F64", "shape": [9, 6], "data_offsets": [0, len(eb)]},
               "W": {"dtype": "F64", "shape": [9, 9], "data_offsets": [len(eb), len(eb) + len(wb)]}}, eb + wb),
  "gap":     ({"E": {"dtype": "F64", "shape": [6, 9], "data_offsets": [0, len(eb)]},
               "W": {"dtype": "F64", "shape": [9, 9], "data_offsets": [len(eb) + 8, len(eb) + len(wb) + 8]}},
              eb + bytes(8) + wb),
  "tail":    ({"E": {"dtype": "F64", "shape": [6, 9], "data_offsets": [0, len(eb)]},
               "W": {"dtype": "F64", "shape": [9, 9], "data_offsets": [len(eb), len(eb) + len(wb)]}},
              eb + wb + bytes(8)),
  "nan":     ({"E": {"dtype": "F64", "shape": [6, 9], "data_offsets": [0, len(eb)]},
               "W": {"dtype": "F64", "shape": [9, 9], "data_offsets": [len(eb), len(eb) + len(wb)]}},
              eb + wb[:80] + struct.pack("<d", float("nan")) + wb[88:]),
}
for name, (h, d) in cases.items():
    st(name + ".safetensors", h, d)
    rec = {"type": "attn-model", "weights": name + ".safetensors", "C": None}
    if name == "shape": rec.update(K=6, d=9)
    open(name + ".json", "w").write(json.dumps(rec) + "\n")
# a header size past the end, and over the limit
open("long.safetensors", "wb").write(struct.pack("<Q", 1 << 40) + b"{}")
open("huge.safetensors", "wb").write(struct.pack("<Q", 200 << 20) + b"{}" * 10)
# .npy cut short (a .npz's lies: tests/npz.bats)
open("E.npy", "wb").write(npy(E)[:-8])
for name, w in [("long", "long.safetensors"), ("huge", "huge.safetensors"),
                ("cut", {"E": "E.npy", "W": "E.npy"})]:
    open(name + ".json", "w").write(json.dumps({"type": "attn-model", "weights": w, "C": None}) + "\n")
PY
	for c in past:W overlap:W size:E dtype:E shape:E gap:W tail: nan:W long: huge: cut:E; do
		f=${c%%:*} t=${c#*:}
		run attn-to-ccmc $f.json
		assert_error 65 attn-to-ccmc
		[ "${#lines[@]}" -eq 1 ] || { echo "$f: ${#lines[@]} lines: $output"; false; }
		case $f in
		shape) [[ $output == *"tensor E"* ]] ;;
		cut) [[ $output == *"E.npy"*"tensor E"* ]] ;;
		long|huge) [[ $output == *"$f.safetensors"*"header"* ]] ;;
		tail) [[ $output == *"tail.safetensors: 8 bytes after the last"* ]] ;;
		*) [[ $output == *"$f.safetensors: tensor $t"* ]] ;;
		esac || { echo "$f: $output"; false; }
	done
}

@test ".npy headers numpy would refuse or read otherwise (a key twice, a key it does not know, True spelt otherwise, a shape that is no tuple, a NUL) are one line naming file and tensor, exit 65" {
	py <<'PY'
import json, struct, sys, zipfile
sys.path.insert(0, ".")
from wref import *
m = model("m.json")
E, W = m["E"], m["W"]
def npy_h(a, dict_text):
    """a (C order) under a header dict of our own."""
    h = dict_text + " " * ((64 - (10 + len(dict_text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + \
        pack([x for r in a for x in r], "<f8")
bad = {
    # numpy reads the last 'fortran_order': W transposed
    "twice": "{'descr': '<f8', 'fortran_order': False, 'shape': (9, 9), 'fortran_order': True, }",
    # numpy refuses a key it does not know; 'shape' inside it is no key
    "unknown": "{'descr': '<f8', 'x': \"'shape': (9, 9)\", 'fortran_order': False, 'shape': (9, 9), }",
    "word": "{'descr': '<f8', 'fortran_order': Truely, 'shape': (9, 9), }",
    "notuple": "{'descr': '<f8', 'fortran_order': False, 'shape': (9 9), }",
    "nul": "{'descr': '<f8', 'fortran_order': False, \0'shape': (9, 9), }",
}
for name, h in bad.items():
    with zipfile.ZipFile(name + ".npz", "w") as z:
        z.writestr("E.npy", npy(E))
        z.writestr("W.npy", npy_h(W, h))
    open(name + ".json", "w").write(json.dumps({"type": "attn-model", "weights": name + ".npz", "C": None}) + "\n")
PY
	for f in twice unknown word notuple nul; do
		run attn-to-ccmc $f.json
		assert_error 65 attn-to-ccmc
		[ "${#lines[@]}" -eq 1 ] && [[ $output == *"$f.npz: tensor W: .npy "* ]] ||
		    { echo "$f: $output"; false; }
	done
}

@test "a weight file that is a FIFO is refused at once (not waited on for a writer): one line, exit 65" {
	mkfifo E.npz
	echo '{"type":"attn-model","weights":"E.npz","C":null}' >m.json
	run timeout 20 attn-to-ccmc m.json
	assert_error 65 attn-to-ccmc
	[ "${#lines[@]}" -eq 1 ] && [[ $output == *"E.npz: not a regular file"* ]]
}

@test "--retie on a singular E E^T is refused with the reason (attn-to-ccmc, ccmc-estimate, traj-stats)" {
	py <<'PY'
import json
E = [[1, 0, 0], [0, 1, 0], [1, 1e-17, 0]]        # row 3 = row 1 to rounding
W = [[0.1, 0.2, 0], [0, 0.3, 0], [0, 0, 1]]
C = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
print(json.dumps({"type": "attn-model", "K": 3, "d": 3, "E": E, "W": W, "C": C, "pos": None}),
      file=open("sing.json", "w"))
PY
	run attn-to-ccmc --retie sing.json
	assert_error 65 attn-to-ccmc
	[[ $output == *"singular"* ]]
	echo '{"type":"sample","prompt":[0,1],"y":1}' >s
	run ccmc-estimate --retie s sing.json
	[ "$status" -eq 65 ] && [[ $output == *"singular"* ]]
	run traj-stats --retie --model sing.json /dev/null
	[ "$status" -eq 65 ] && [[ $output == *"singular"* ]]
}

@test "the PyTorch recipe of ccmc-records(5): W = Wq^T Wk / sqrt(dk) from nn.Linear weights gives the layer's own law; \"query\": \"right\" takes W transposed; --check against the user's p catches the transposed W" {
	py <<'PY'
import json, math, random, sys
sys.path.insert(0, ".")
from wref import *
r = random.Random(5)
K, d, dk = 20, 6, 4
E = [[r.gauss(0, 1) for _ in range(d)] for _ in range(K)]
Wq = [[r.gauss(0, 1) for _ in range(d)] for _ in range(dk)]   # nn.Linear(d, dk).weight
Wk = [[r.gauss(0, 1) for _ in range(d)] for _ in range(dk)]
W = [[sum(Wq[c][a] * Wk[c][b] for c in range(dk)) / math.sqrt(dk) for b in range(d)] for a in range(d)]
safetensors("layer.safetensors", {"E": E, "W": W})
Wt = [list(col) for col in zip(*W)]
safetensors("right.safetensors", {"E": E, "W": Wt})
open("layer.json", "w").write(json.dumps({"type": "attn-model", "weights": "layer.safetensors", "C": None}) + "\n")
open("right.json", "w").write(json.dumps({"type": "attn-model", "weights": "right.safetensors", "C": None, "query": "right"}) + "\n")
open("wrong.json", "w").write(json.dumps({"type": "attn-model", "weights": "right.safetensors", "C": None}) + "\n")
def lin(w, x): return [sum(w[c][a] * x[a] for a in range(len(x))) for c in range(len(w))]
prompts = [[r.randrange(K) for _ in range(r.randint(1, 9))] for _ in range(50)]
with open("prompts", "w") as f, open("want", "w") as g, open("pp", "w") as h:
    for p in prompts:
        q = lin(Wq, E[p[-1]])                     # the layer as torch computes it
        s = [sum(a * b for a, b in zip(q, lin(Wk, E[t]))) / math.sqrt(dk) for t in p]
        mx = max(s); e = [math.exp(v - mx) for v in s]
        pr = [0.0] * K
        for t, v in zip(p, e): pr[t] += v / sum(e)
        print(json.dumps({"type": "prompt", "prompt": p}), file=f)
        print(json.dumps(pr), file=g)
        print(json.dumps({"type": "prompt", "prompt": p, "p": pr}), file=h)
PY
	for m in layer right; do
		attn-sample --probs --model $m.json prompts >out
		py <<'PY'
import json
want = [json.loads(l) for l in open("want")]
got = [json.loads(l)["p"] for l in open("out") if '"sample"' in l]
assert len(got) == 50
worst = max(abs(a - b) for w, g in zip(want, got) for a, b in zip(w, g))
assert worst <= 1e-12, worst
PY
	done
	# attn-to-ccmc --check against the p computed as torch does: agrees on
	# the layer, catches the transposed W the toolkit's two paths cannot
	attn-to-ccmc --check pp layer.json >c
	py <<'PY'
import json
u = json.load(open("c"))["check"]["user"]
assert u["prompts"] == 50 and u["max_abs_diff"] <= 1e-12, u
PY
	attn-to-ccmc --check prompts wrong.json >/dev/null
	run attn-to-ccmc --check pp wrong.json
	assert_error 65 attn-to-ccmc
	assert_located attn-to-ccmc
	[[ $output == *"transposed"* ]]
	echo '{"type":"attn-model","weights":"layer.safetensors","C":null,"query":"up"}' >bad.json
	run attn-sample --model bad.json prompts
	assert_error 65 attn-sample
}

@test "ccmc-estimate and traj-stats take --tie-tol and --retie: a float32 head is refused without, read with either" {
	attn-gen-model --vocab 5 --dim 9 --embed gaussian --weights w.safetensors --dtype float32 >w.json
	attn-sample -n 500 --retie w.json >s
	attn-sample --trajectory --steps 200 --retie w.json >t
	# the model record the samples carry is the retied one, in JSON: use the file's
	{ cat w.json; tail -n +2 s; } >s2
	{ cat w.json; tail -n +2 t; } >t2
	run ccmc-estimate s2
	assert_error 65 ccmc-estimate
	[[ $output == *"not tied"* ]]
	ccmc-estimate --tie-tol 1e-6 s2 | grep -q '"error":{'
	ccmc-estimate --retie s2 | grep -q '"error":{'
	run traj-stats t2
	assert_error 65 traj-stats
	traj-stats --predict --tie-tol 1e-6 t2 | grep -q '"prediction"'
	traj-stats --predict --retie t2 | grep -q '"prediction"'
}
