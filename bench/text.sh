#!/bin/sh
# ccmc-estimate on text: a 10^6-word corpus (1000 documents of 1000 words),
# --max-vocab 1000, --window 32.  Target: the fit within 2 minutes.
# The corpus is synthetic but text-like: a Zipf(1.1) vocabulary of 20000
# words, each document a topic (a random subset it copies from more often),
# so that many next words are, and many are not, in the last 32.
BIN=${BIN:-bin}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

python3 - "$tmp/corpus.txt" <<'PY' || exit 1
import random, sys
random.seed(11)
V = 20000
w = [1 / (r + 1) ** 1.1 for r in range(V)]
cum, s = [], 0.0
for x in w:
    s += x
    cum.append(s)
words = ["w%d" % r for r in range(V)]
with open(sys.argv[1], "w") as f:
    for d in range(1000):
        topic = random.choices(range(V), cum_weights=cum, k=60)
        doc = []
        for t in range(1000):
            if doc and random.random() < 0.35:
                doc.append(random.choice(doc[-32:]))
            elif random.random() < 0.3:
                doc.append(words[random.choice(topic)])
            else:
                doc.append(words[random.choices(range(V), cum_weights=cum)[0]])
        f.write(" ".join(doc) + "\n")
PY
for args in "--brief" ""; do
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$BIN/ccmc-estimate" --text \
	    --window 32 --max-vocab 1000 $args "$tmp/corpus.txt" >"$tmp/est" ||
	    exit 1
	set -- $(cat "$tmp/time")
	printf '10^6 words, V=1000, window 32, %s: %s s, peak RSS %d MB; ' \
	    "${args:-full record}" "$1" $(($2 / 1024))
	jq -r '"covered steps \(.fit.samples), coverage \(.fit.coverage), " +
	    "converged \(.fit.converged), mix \(.mix)"' "$tmp/est"
	awk -v w="$1" 'BEGIN { exit !(w <= 120) }' || {
		echo "FAIL: more than 2 minutes"; exit 1; }
done
