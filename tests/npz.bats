#!/usr/bin/env bats
# .npz files as numpy writes them: stored (np.savez) and deflated
# (np.savez_compressed), with the data descriptors of a stream that cannot
# seek and the ZIP64 fields of archives over 2 GiB.  The fixtures in
# tests/data/npz were written by numpy itself (make.py there); bigger ones
# are written here by python's zipfile, which numpy uses.  Each reads as
# the model of the JSON, byte for byte; each lie a zip can tell is one
# line naming the file and the tensor, exit 65.  What attn-gen-model writes
# is the plain zip below 2 GiB and has ZIP64 fields past it, which numpy
# reads (the test of an archive over 4 GiB is HEAVY: QUICK=1 skips it).

load helper

DATA=$TOP/tests/data/npz

setup() {
	cd "$BATS_TEST_TMPDIR"
	cp "$DATA"/*.npz "$DATA"/*.json .
}

# record FILE.npz [JSON-FIELDS]: an attn-model record naming FILE.npz
record() {
	printf '{"type":"attn-model","weights":"%s"%s}\n' "$1" "${2:-}"
}

@test "numpy's np.savez and np.savez_compressed (seekable; to a stream, with data descriptors; ZIP64) read as the JSON model, byte for byte" {
	# ZIP64 as numpy writes it past 4 GiB: the end record's fields all
	# 0xFFFF.., the values in the ZIP64 end record alone
	py <<'PY'
import struct, zipfile
b = bytearray(open("zip64.npz", "rb").read())
b[-12:-2] = struct.pack("<HIi", 0xFFFF, 0xFFFFFFFF, -1)
b[-14:-12] = struct.pack("<H", 0xFFFF)
open("zip64-4g.npz", "wb").write(b)
z = zipfile.ZipFile("zip64-4g.npz")        # python reads it too
assert z.testzip() is None and len(z.namelist()) == 4
PY
	attn-to-ccmc model.json >want
	attn-sample --probs --model model.json <<<'{"type":"prompt","prompt":[0,5,2,2,1]}' >want-p
	for f in savez compressed stream stream-stored zip64 zip64-4g; do
		# the model's meta too (the last field), which attn-to-ccmc repeats
		printf '{"type":"attn-model","weights":"%s",%s\n' $f.npz \
		    "$(grep -o '"meta":.*' model.json)" >m.json
		attn-to-ccmc m.json >got
		cmp want got || { echo "$f differs"; false; }
		attn-sample --probs --model m.json <<<'{"type":"prompt","prompt":[0,5,2,2,1]}' >got-p
		cmp <(tail -n +2 want-p) <(tail -n +2 got-p) || { echo "$f: p differs"; false; }
	done
}

@test "float32 and float16 arrays deflated read as stored and as the JSON of the values numpy holds" {
	for t in float32 float16; do
		attn-to-ccmc $t.json >want
		for f in $t $t-compressed; do
			record $f.npz ',"C":null' >m.json
			attn-to-ccmc m.json >got
			cmp want got || { echo "$f differs"; false; }
		done
	done
}

@test "arrays over many pieces of inflated data (C and Fortran order, float64/32/16) read as the same arrays in .safetensors" {
	py <<'PY'
import json, random, struct, zipfile
r = random.Random(7)
K, d = 5000, 8            # E: 320 kB in float64, 5 pieces of 64 kB
E = [[r.gauss(0, 1) for _ in range(d)] for _ in range(K)]
W = [[r.gauss(0, 0.3) for _ in range(d)] for _ in range(d)]
def npy(a, descr, fortran):
    rows, cols = len(a), len(a[0])
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': (%d, %d), }" % (
        descr, fortran, rows, cols)
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    flat = [a[i][j] for j in range(cols) for i in range(rows)] if fortran else \
        [x for row in a for x in row]
    code = {"<f8": "d", "<f4": "f", "<f2": "e"}[descr]
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + \
        struct.pack("<%d%s" % (len(flat), code), *flat)
for descr, st in (("<f8", "F64"), ("<f4", "F32"), ("<f2", "F16")):
    for fortran in (False, True):
        name = "%s%s" % (st, "f" if fortran else "c")
        with zipfile.ZipFile(name + ".npz", "w", zipfile.ZIP_DEFLATED) as z:
            for n, a in (("E", E), ("W", W)):
                z.writestr(zipfile.ZipInfo(n + ".npy"), npy(a, descr, fortran),
                           zipfile.ZIP_DEFLATED)
    head, data = {}, b""
    for n, a in (("E", E), ("W", W)):
        b = npy(a, descr, False)[128:]
        head[n] = {"dtype": st, "shape": [len(a), d], "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(head).encode()
    open(st + ".safetensors", "wb").write(struct.pack("<Q", len(h)) + h + data)
PY
	printf '{"type":"prompt","prompt":[%s]}\n' 0,4999,17 2500,3,3,2500 1 >prompts
	for st in F64 F32 F16; do
		record $st.safetensors ',"C":null' >want.json
		attn-sample --probs --model want.json prompts | tail -n +2 >want
		for o in c f; do
			record $st$o.npz ',"C":null' >m.json
			attn-sample --probs --model m.json prompts | tail -n +2 >got
			cmp want got || { echo "$st$o differs"; false; }
		done
	done
}

@test "a deflated member is inflated straight into its array: no second copy of it in memory" {
	[ -z "${VALGRIND:-}" ] && ! ldd "$BIN/attn-sample" | grep -q libasan || skip "sanitizers change the footprint"
	# W of 2048 x 2048 float64 (32 MB, zeros; E 8 x 2048): a .npy file is
	# mapped and read beside the matrix; the deflated .npz (150 kB) must
	# add no more than its pieces of 64 kB
	py <<'PY'
import random, struct, zipfile
K, d = 8, 2048
def npy(shape, data):
    h = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % shape
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data
r = random.Random(1)
E = npy((K, d), b"".join(struct.pack("<d", r.gauss(0, 1)) for _ in range(K * d)))
W = npy((d, d), bytes(8 * d * d))
open("E.npy", "wb").write(E)
open("W.npy", "wb").write(W)
with zipfile.ZipFile("deflated.npz", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("E.npy", E)
    z.writestr("W.npy", W)
PY
	echo '{"type":"prompt","prompt":[1,2,3]}' >p
	echo '{"type":"attn-model","weights":{"E":"E.npy","W":"W.npy"},"C":null}' >stored.json
	record deflated.npz ',"C":null' >deflated.json
	for f in stored deflated; do
		/usr/bin/time -f %M -o $f.kb attn-sample -n 1 --seed 1 --model $f.json p >$f.out
	done
	cmp <(tail -n +2 stored.out) <(tail -n +2 deflated.out)
	# the peak of the .npy read is W twice (matrix and mapped file); the
	# deflated one must stay 24 MB below it: a second copy would not
	echo "stored $(cat stored.kb) kB, deflated $(cat deflated.kb) kB"
	[ "$(cat deflated.kb)" -lt $(($(cat stored.kb) - 24000)) ]
}

@test "attn-gen-model --weights FILE.npz --compress: deflated members python reads (CRC-32 checked), the same .npy images, the JSON model; a one-hot model shrinks" {
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3 --seed 3 >j.json
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3 --seed 3 \
	    --weights s.npz >s.json
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3 --seed 3 \
	    --weights c.npz --compress >c.json
	attn-gen-model --vocab 300 --pos 12 --weights s1.npz >/dev/null
	attn-gen-model --vocab 300 --pos 12 --weights c1.npz --compress >/dev/null
	py <<'PY'
import os, zipfile
s, c = zipfile.ZipFile("s.npz"), zipfile.ZipFile("c.npz")
assert c.testzip() is None
assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in c.infolist())
assert all(i.compress_type == zipfile.ZIP_STORED for i in s.infolist())
assert s.namelist() == c.namelist() == ["E.npy", "W.npy", "C.npy", "R.npy"]
assert all(s.read(n) == c.read(n) for n in s.namelist())
a, b = os.path.getsize("s1.npz"), os.path.getsize("c1.npz")
assert b * 2 < a, (a, b)        # one-hot E and C: mostly zeros
PY
	attn-to-ccmc j.json >want
	attn-to-ccmc c.json >got
	cmp want got
	run attn-gen-model --vocab 6 --weights c.safetensors --compress
	assert_error 2 attn-gen-model
	run attn-gen-model --vocab 6 --compress
	assert_error 2 attn-gen-model
}

# A weight file's format is told by the end of its name, by one helper
# (util's ends_with, bytes_end_with for a zip member's name), checked here
# against bash's own pattern match, and through the programs.
@test "a file's format by the end of its name: one helper, as bash matches it; --compress goes with .npz only" {
	for s in "" a .npz x.npz x.npz.safetensors x.safetensors.npz npz x.NPZ \
	    .npy x.npy x.npyy w.safetensors safetensors; do
		for suf in .npz .npy .safetensors ""; do
			want=0
			[[ $s != *"$suf" ]] || want=1
			[ "$("$UNIT" suffix "$s" "$suf")" = $want ] || { echo "'$s' '$suf'"; false; }
			# the first n bytes of s, as a name without a NUL
			n=$(( ${#s} / 2 ))
			want=0
			[[ ${s:0:n} != *"$suf" ]] || want=1
			[ "$("$UNIT" suffix "$s" "$suf" $n)" = $want ] || { echo "'${s:0:n}' '$suf'"; false; }
		done
	done
	run attn-gen-model --vocab 4 --weights x.npz.safetensors --compress
	assert_error 2 attn-gen-model
	attn-gen-model --vocab 4 --weights x.safetensors.npz --compress >m
	attn-to-ccmc m >/dev/null
	cp x.safetensors.npz x.npz.npyy
	jq -c '.weights = "x.npz.npyy"' m >m2
	run attn-to-ccmc m2
	[ "$status" -eq 65 ]
	[[ $output == *"unknown format: the name must end in .npy, .npz or .safetensors"* ]]
}

@test "the lies of a zip: corrupt, cut short, longer or shorter than declared, wrong CRC-32, bomb-like sizes, garbage after the stream, bad descriptors: one line naming file and tensor, exit 65" {
	py <<'PY'
import struct, zipfile, zlib
src = zipfile.ZipFile("compressed.npz")
E, W = src.read("E.npy"), src.read("W.npy")
def deflate(b):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()
def member(name, img, payload=None, method=8, crc=None, usize=None, flags=0,
           descriptor=None, zip64=None):
    """A zip member (local header and data) and its central entry, by hand."""
    payload = deflate(img) if payload is None else payload
    crc = zlib.crc32(img) if crc is None else crc
    usize = len(img) if usize is None else usize
    n = name.encode()
    extra = b"" if zip64 is None else struct.pack("<HHQQ", 1, 16, *zip64)
    s32 = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (len(payload), usize)
    fields = struct.pack("<HHHHHIIIHH", 20, flags, method, 0, 33, crc, s32[0], s32[1], len(n), len(extra))
    local = b"PK\x03\x04" + fields + n + extra + payload + (descriptor or b"")
    return local, fields, n + extra
def archive(path, members):
    out, cd = b"", b""
    for local, fields, tail in members:
        cd += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, len(out)) + tail
        out += local
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(cd), len(out), 0)
    open(path, "wb").write(out + cd + end)
w = member("W.npy", W)
good = deflate(E)
cases = {
    "good":    member("E.npy", E),
    "corrupt": member("E.npy", E, payload=b"\x07" + good[1:]),
    "crc":     member("E.npy", E, crc=zlib.crc32(E) ^ 1),
    "crcstored": member("E.npy", E, payload=E, method=0, crc=zlib.crc32(E) ^ 1),
    "longer":  member("E.npy", E, payload=deflate(E + bytes(8))),
    "shorter": member("E.npy", E, payload=deflate(E[:-8])),
    "cut":     member("E.npy", E, payload=good[:-6]),
    "garbage": member("E.npy", E, payload=good + b"garbage"),
    "size":    member("E.npy", E, usize=len(E) + 8),
    "bomb":    member("E.npy", E, usize=0xFFFFFFF0),
    "bomb64":  member("E.npy", E, zip64=(32 << 30, len(good))),
    "method":  member("E.npy", E, method=12),
    "crypt":   member("E.npy", E, flags=1),
    "ddesc":   member("E.npy", E, flags=8,
                      descriptor=struct.pack("<IIII", 0x08074b50, zlib.crc32(E) ^ 1, len(good), len(E))),
}
for name, m in cases.items():
    archive(name + ".npz", [m, w])
archive("dup.npz", [cases["good"], w, cases["good"]])
# the local header disagrees with the central directory
b = bytearray(open("good.npz", "rb").read())
b[14:18] = struct.pack("<I", zlib.crc32(E) ^ 1)
open("local.npz", "wb").write(b)
# a bomb that tells its size truthfully in the .npy header: 32 GiB of zeros
h = "{'descr': '<f8', 'fortran_order': False, 'shape': (1048576, 4096), }"
h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
big = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode()
zeros = deflate(big + bytes(1 << 20))
archive("bombnpy.npz", [member("E.npy", big, payload=zeros,
                               zip64=(len(big) + (32 << 30), len(zeros))), w])
PY
	record good.npz ',"C":null' >good.json
	attn-sample -n 1 --model good.json <<<'{"type":"prompt","prompt":[1]}' >/dev/null
	for c in corrupt:"corrupt deflate data" crc:"CRC-32" crcstored:"CRC-32" longer:"more than the" \
	    shorter:"ends after" cut:"cut short" garbage:"7 bytes follow" \
	    size:"shape needs" bomb:"largest ratio" bomb64:"largest ratio" \
	    bombnpy:"largest ratio" method:"compression method 12" crypt:"encrypted" \
	    ddesc:"data descriptor" dup:"second member" local:"local header"; do
		f=${c%%:*} want=${c#*:}
		record $f.npz ',"C":null' >$f.json
		run attn-sample -n 1 --model $f.json <<<'{"type":"prompt","prompt":[1]}'
		assert_error 65 attn-sample
		[ "${#lines[@]}" -eq 1 ] || { echo "$f: ${#lines[@]} lines: $output"; false; }
		[[ $output == *"$f.npz: tensor E: "*"$want"* ]] || { echo "$f: $output"; false; }
	done
}

@test "a zip cut short, with a broken ZIP64 record or a name that would break the line: one line naming the file, exit 65" {
	py <<'PY'
import struct, zipfile
b = open("compressed.npz", "rb").read()
open("half.npz", "wb").write(b[:len(b) // 2])
with zipfile.ZipFile("ctrl.npz", "w") as z:
    z.writestr("E\nx.npy", b"not a .npy")
z = bytearray(open("zip64.npz", "rb").read())
z[-22 - 20 + 8:-22 - 20 + 16] = struct.pack("<Q", 12)    # the locator's offset
open("loc.npz", "wb").write(z)
PY
	for c in half:"no end of central directory" loc:"no ZIP64 end" \
	    ctrl:"control characters"; do
		f=${c%%:*} want=${c#*:}
		record $f.npz >$f.json
		run attn-to-ccmc $f.json
		assert_error 65 attn-to-ccmc
		[ "${#lines[@]}" -eq 1 ] && [[ $output == *"$f.npz: "*"$want"* ]] || { echo "$f: $output"; false; }
	done
}

@test "an end record that counts fewer members than its central directory holds (python's zipfile, so numpy, reads them all: here the last E) is one line naming the file, exit 65" {
	py <<'PY'
import json, struct, warnings, zipfile
warnings.simplefilter("ignore")                 # the duplicate name
src = zipfile.ZipFile("savez.npz")
n = len(src.namelist())
with zipfile.ZipFile("hide.npz", "w") as z:
    for m in src.namelist():
        z.writestr(m, src.read(m))
    z.writestr("E.npy", src.read("W.npy"))       # the E numpy reads
b = bytearray(open("hide.npz", "rb").read())
b[-14:-10] = struct.pack("<HH", n, n)            # the end record counts n of n + 1
open("hide.npz", "wb").write(b)
b[-14:-10] = struct.pack("<HH", 0, 0)            # counts none
open("none.npz", "wb").write(b)
PY
	for f in hide none; do
		record $f.npz >$f.json
		run attn-to-ccmc $f.json
		assert_error 65 attn-to-ccmc
		[ "${#lines[@]}" -eq 1 ] && [[ $output == *"$f.npz: "*"more than the"*"members"* ]] ||
		    { echo "$f: $output"; false; }
	done
}

# NUMPY: a python that has numpy (the one on PATH may not), or skip.
numpy_python() {
	for NUMPY in python3 /usr/bin/python3; do
		"$NUMPY" -c 'import numpy' 2>/dev/null && return 0
	done
	skip "no python with numpy"
}

@test "a small archive attn-gen-model writes is the classic zip, byte for byte: no ZIP64 field below 2 GiB (stored and deflated, float64/32/16)" {
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3 --seed 3 --weights s64.npz >/dev/null
	attn-gen-model --vocab 6 --dim 9 --embed gaussian --pos 12 --pos-dim 3 --seed 3 --weights c64.npz --compress >/dev/null
	attn-gen-model --vocab 300 --pos 12 --seed 5 --weights c32.npz --dtype float32 --compress >/dev/null
	attn-gen-model --vocab 300 --pos 12 --seed 5 --weights s16.npz --dtype float16 >/dev/null
	attn-gen-model --vocab 40000 --dim 16 --embed gaussian --headless --seed 2 \
	    --weights c16.npz --dtype float16 --compress >/dev/null
	# the archive rebuilt from its members (names, method, CRC-32, data as
	# stored) in the layout we have always written: version 20, no time,
	# no extra field, a 22-byte end record
	py s64.npz c64.npz c32.npz s16.npz c16.npz <<'PY'
import struct, sys, zipfile
for f in sys.argv[1:]:
    b = open(f, "rb").read()
    z = zipfile.ZipFile(f)
    assert z.testzip() is None
    out, cd = b"", b""
    for i in z.infolist():
        n = i.filename.encode()
        data = b[i.header_offset + 30 + len(n):][:i.compress_size]
        common = struct.pack("<HHHHHIIIHH", 20, 0, i.compress_type, 0, 0,
                             i.CRC, i.compress_size, i.file_size, len(n), 0)
        cd += b"PK\x01\x02" + struct.pack("<H", 20) + common + \
            struct.pack("<HHHII", 0, 0, 0, 0, len(out)) + n
        out += b"PK\x03\x04" + common + n + data
    n = len(z.infolist())
    want = out + cd + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, n, n, len(cd), len(out), 0)
    assert b == want, f
PY
}

@test "a tensor whose header declares more than K, d and LMAX allow (half a GiB deflated into 2 MB, 2^40 elements) is refused from its header before anything is allocated: one line, exit 65, in 300 MB" {
	# truthful members: 512 MiB of zeros, deflated, under a .npy header
	# that says so; and headers that claim 2^40 elements of a tiny file
	py <<'PY'
import json, struct, zipfile
def head(shape):
    h = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % (shape,)
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode()
def npy(shape, data=None):
    n = 1
    for s in shape:
        n *= s
    return head(shape) + (bytes(8 * n) if data is None else data)
def npz(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, shape in members:
            if 8 * shape[0] * shape[1] < 1 << 20:
                z.writestr(name + ".npy", npy(shape))
                continue
            with z.open(name + ".npy", "w", force_zip64=True) as f:
                f.write(head(shape))
                for _ in range(8 * shape[0] * shape[1] >> 20):
                    f.write(bytes(1 << 20))
npz("wideE.npz", [("E", (1, 1 << 26)), ("W", (8, 8))])
npz("bigW.npz", [("E", (8, 8)), ("W", (1 << 13, 1 << 13))])
npz("longR.npz", [("E", (8, 8)), ("W", (8, 8)), ("R", (1 << 23, 8))])
# 2^40 elements claimed by files of a few hundred bytes
open("hugeE.npy", "wb").write(head((1 << 20, 1 << 20)) + bytes(64))
h = json.dumps({"E": {"dtype": "F64", "shape": [1 << 20, 1 << 20], "data_offsets": [0, 8 << 40]}}).encode()
open("huge.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + bytes(64))
PY
	[ "$(stat -c %s bigW.npz)" -lt 3000000 ]
	printf '{"type":"prompt","prompt":[1]}\n' >p
	for c in wideE.npz:"tensor E is 1 x 67108864: K must lie" \
	    bigW.npz:"tensor W is 8192 x 8192; K and d ask for 8 x 8" \
	    longR.npz:"tensor R has 8388608 rows" \
	    hugeE.npy:"more bytes than the file holds" \
	    huge.safetensors:"more bytes than the file holds"; do
		f=${c%%:*} want=${c#*:}
		record $f ',"C":null' >m.json
		run under_vmem 300000 attn-sample -n 1 --model m.json p
		assert_error 65 attn-sample
		[ "${#lines[@]}" -eq 1 ] && [[ $output == *"$f"*"$want"* ]] || { echo "$f: $output"; false; }
	done
}

@test "an archive over 4 GiB (E 2^20 x 512 float64, stored; HEAVY: minutes, 8 GiB of memory, 4.3 GB of disk): ZIP64 where python's zipfile puts it; numpy reads the arrays attn-gen-model drew, attn-sample reads them as numpy does" {
	[ -z "${QUICK:-}" ] || skip "QUICK=1 skips the slow tests"
	[ -z "${VALGRIND:-}" ] && ! ldd "$BIN/attn-sample" | grep -q libasan || skip "too slow under sanitizers"
	[ "$(df -k --output=avail . | tail -1)" -gt 6000000 ] || skip "needs 6 GB of disk"
	numpy_python
	K=1048576
	attn-gen-model --vocab $K --dim 512 --embed gaussian --headless --seed 5 --weights big.npz >big.json
	# E's first rows and W are those of the same model with 4 tokens
	attn-gen-model --vocab 4 --dim 512 --embed gaussian --headless --seed 5 >small.json
	# the last token's row crosses the 4 GiB mark; W lies past it
	printf '{"type":"prompt","prompt":[0,%d,3,%d,2]}\n' $((K - 1)) $((K - 1)) >p
	attn-sample --probs --model big.json p | tail -1 >got
	"$NUMPY" - <<'PY'
import json, struct, zipfile
import numpy as np
K, d = 1 << 20, 512
z = zipfile.ZipFile("big.npz")
assert z.testzip() is None                  # every CRC-32, over 4 GiB
e, w = z.getinfo("E.npy"), z.getinfo("W.npy")
assert e.file_size == e.compress_size == 128 + 8 * K * d > 1 << 32
assert e.header_offset == 0 and w.header_offset > 1 << 32
with open("big.npz", "rb") as f:
    lh = f.read(55)                         # E's local header: ZIP64 sizes
    f.seek(-22 - 20 - 56, 2)
    end = f.read()
assert struct.unpack("<HII", lh[4:6] + lh[18:26]) == (45, 0xFFFFFFFF, 0xFFFFFFFF)
assert struct.unpack("<HHQQ", lh[35:55]) == (1, 16, e.file_size, e.compress_size)
# the ZIP64 end record and its locator before the end record, whose
# directory offset is 0xFFFFFFFF
assert end[:4] == b"PK\x06\x06" and end[56:60] == b"PK\x06\x07" and end[76:80] == b"PK\x05\x06"
assert struct.unpack("<I", end[92:96])[0] == 0xFFFFFFFF
a = np.load("big.npz")
E, W = a["E"], a["W"]
small = json.loads(open("small.json").readline())
assert E.shape == (K, d) and W.shape == (d, d)
assert np.array_equal(E[:4], np.array(small["E"])) and np.array_equal(W, np.array(small["W"]))
# headless: the attention of the last token's row on each position's
prompt = json.loads(open("p").read())["prompt"]
x = E[prompt]
u = x[-1] @ W @ x.T
att = np.exp(u - u.max())
att /= att.sum()
p = np.zeros(K)
np.add.at(p, prompt, att)
got = np.array(json.loads(open("got").read())["p"])
assert np.abs(got - p).max() < 1e-12, np.abs(got - p).max()
PY
	rm -f big.npz
}

@test "weights_write: a dtype outside enum wdtype (with the deflate flag or not) is -2 and writes nothing; each one a format takes is written" {
	mkdir out
	"$UNIT" dtypes out >got
	[ "$(wc -l <got)" -eq 32 ]
	# what the formats take: float64..bfloat16 (0..3), bfloat16 not in a
	# .npz, deflate only in a .npz
	while read -r t flag fmt rc file; do
		want=0
		if [ "$t" -lt 0 ] || [ "$t" -gt 3 ] || { [ "$fmt" = npz ] && [ "$t" -eq 3 ]; } ||
		    { [ "$flag" = deflate ] && [ "$fmt" = safetensors ]; }; then
			want=-2
		fi
		[ "$rc" -eq "$want" ] || { echo "$t $flag $fmt: $rc, want $want"; false; }
		[ "$file" = "$([ "$want" -eq 0 ] && echo written || echo none)" ] || { echo "$t $flag $fmt: $file"; false; }
	done <got
}
