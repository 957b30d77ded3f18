#!/usr/bin/env bats
# A text model remembers how it was made (meta.text: the text options and a
# fingerprint of the training input), --eval and attn-sample --model apply
# them, and held-out text decides nothing about the vocabulary.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

@test "text-meta: --max-vocab ties are broken by the training pieces, not held-out ones" {
	# piece 0 (held out by --skip-pieces 1/2) sees c, b, a first; the
	# training pieces see p twice, then a, b, c once each, in that order
	printf '%s\n' "c b a q" "p a b" "q q q q q" "p c" >"$T/t"
	ccmc-estimate --text --markov --max-vocab 3 --skip-pieces 1/2 "$T/t" >"$T/m"
	[ "$(jq -c .vocab "$T/m")" = '["p","a","b","<unk>"]' ]
	ccmc-estimate --text --markov --max-vocab 2 --skip-pieces 1/2 "$T/t" >"$T/m"
	[ "$(jq -c .vocab "$T/m")" = '["p","a","<unk>"]' ]
	# without --max-vocab too: ids in order of first appearance in training
	ccmc-estimate --text --markov --skip-pieces 1/2 "$T/t" >"$T/m"
	[ "$(jq -c .vocab "$T/m")" = '["p","a","b","c"]' ]
	# the dev part (--dev-share 0.5: documents 2 and 4) neither counts nor
	# breaks ties: q is most frequent there, c comes first there
	printf '%s\n' "p a b" "c q q q q q" "p b" "q c q" >"$T/d"
	ccmc-estimate --text --markov --max-vocab 2 --dev-share 0.5 "$T/d" >"$T/m"
	[ "$(jq -c .vocab "$T/m")" = '["p","b","<unk>"]' ]
}

# text T: 80 documents of capitalised and punctuated words, so that --lower
# and --punct drop change most of them
mixed_text() {
	py "$1" <<'EOF2'
import random, sys
random.seed(7)
words = ["w%d" % i for i in range(30)]
with open(sys.argv[1], "w") as f:
    for d in range(80):
        doc = []
        for t in range(random.randint(5, 60)):
            w = random.choice(doc[-5:]) if doc and random.random() < 0.4 \
                else words[min(int(random.paretovariate(1.0)) - 1, 29)]
            doc.append(w)
        out = [(w.upper() if random.random() < 0.5 else w) +
               random.choice(["", "", ",", ".", ";"]) for w in doc]
        f.write(" ".join(out) + "\n")
EOF2
}

@test "text-meta: --eval applies the model's text options; a contradicting one exits 2" {
	mixed_text "$T/t"
	split="--text --lower --punct drop --chunk 20"
	for kind in markov ccmc; do
		if [ $kind = markov ]; then fit=--markov; else fit="--window 6 --brief"; fi
		ccmc-estimate $split --skip-pieces 3/3 --max-vocab 25 $fit "$T/t" >"$T/m"
		# the model says how it was made, and what from
		jq -e '.meta.text | .lower == true and .punct == "drop" and
		    .chunk == 20 and .pieces == null and .skip_pieces == "3/3" and
		    .max_vocab == 25 and (.input | test("^[0-9a-f]{32}$"))' "$T/m"
		if [ $kind = ccmc ]; then jq -e '.meta.text.window == 6' "$T/m"; fi
		ccmc-estimate $split --pieces 3/3 --eval "$T/m" "$T/t" >"$T/full"
		# left out: the model's options, and its held-out pieces
		ccmc-estimate --text --eval "$T/m" "$T/t" >"$T/bare"
		jq -e '.unk_steps < 0.2 * .steps and .same_input == true and
		    .text.pieces == "3/3"' "$T/bare"
		[ "$(jq -c '[.steps, .covered, .unk_steps, .loglik]' "$T/full")" = \
		  "$(jq -c '[.steps, .covered, .unk_steps, .loglik]' "$T/bare")" ]
		# an explicit option that contradicts the model: one line, exit 2
		run ccmc-estimate --text --punct keep --eval "$T/m" "$T/t"
		assert_error 2 ccmc-estimate
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == *"--punct keep"*"--punct drop"* ]]
		run ccmc-estimate --text --chunk 30 --eval "$T/m" "$T/t"
		assert_error 2 ccmc-estimate
		[[ $output == *"--chunk 30"*"--chunk 20"* ]]
	done
	# the model was not lowered: --lower contradicts it
	ccmc-estimate --text --markov "$T/t" >"$T/raw"
	jq -e '.meta.text.lower == false and .meta.text.chunk == null' "$T/raw"
	run ccmc-estimate --text --lower --eval "$T/raw" "$T/t"
	assert_error 2 ccmc-estimate
	[[ $output == *--lower* ]]
	# a CCMC's window: another one contradicts it, a chain has none
	run ccmc-estimate --text --window 7 --eval "$T/m" "$T/t"
	assert_error 2 ccmc-estimate
	[[ $output == *"--window 7"*"--window 6"* ]]
	ccmc-estimate --text --window 7 --eval "$T/raw" "$T/t" >/dev/null
}

@test "text-meta: scoring the training pieces of the training input says so" {
	mixed_text "$T/t"
	ccmc-estimate --text --lower --chunk 20 --skip-pieces 3/3 --max-vocab 25 \
	    --markov "$T/t" >"$T/m"
	run ccmc-estimate --text --skip-pieces 3/3 --eval "$T/m" "$T/t"
	[ "$status" -eq 0 ]
	[[ $output == *"note: "*"pieces the model was fitted on"* ]]
	# other text: a different fingerprint, no note
	head -n 40 "$T/t" >"$T/half"
	run ccmc-estimate --text --skip-pieces 3/3 --eval "$T/m" "$T/half"
	[ "$status" -eq 0 ]
	[[ $output != *note* ]]
	[[ $output == *'"same_input":false'* ]]
	# a malformed meta.text is the model's error, exit 65
	jq -c '.meta.text.punct = "squash"' "$T/m" >"$T/bad"
	run ccmc-estimate --text --eval "$T/bad" "$T/t"
	assert_error 65 ccmc-estimate
	assert_located ccmc-estimate
}

@test "text-meta: attn-sample --model cuts prompts' strings into words as the fit did" {
	mixed_text "$T/t"
	ccmc-estimate --text --lower --punct drop --markov --max-vocab 25 "$T/t" >"$T/m"
	printf '{"type":"prompt","prompt":["W0,","W1.","w2"]}\n' >"$T/p"
	attn-sample --model "$T/m" --ids "$T/p" | tail -n 1 >"$T/s"
	want=$(jq -c '[.vocab | index("w0"), index("w1"), index("w2")]' "$T/m")
	[ "$(jq -c .prompt "$T/s")" = "$want" ]
	# agreeing options change nothing; a contradicting one exits 2
	attn-sample --model "$T/m" --ids --lower --punct drop "$T/p" | tail -n 1 >"$T/s2"
	cmp "$T/s" "$T/s2"
	run attn-sample --model "$T/m" --punct split "$T/p"
	assert_error 2 attn-sample
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"--punct split"*"--punct drop"* ]]
	# a model without meta.text reads strings as they are, unless told
	jq -c 'del(.meta.text)' "$T/m" >"$T/old"
	attn-sample --model "$T/old" --ids "$T/p" | tail -n 1 >"$T/s3"
	unk=$(jq '.vocab | index("<unk>")' "$T/m")
	[ "$(jq -c .prompt "$T/s3")" = "[$unk,$unk,$(jq '.vocab | index("w2")' "$T/m")]" ]
	attn-sample --model "$T/old" --ids --lower --punct drop "$T/p" | tail -n 1 >"$T/s4"
	cmp "$T/s" "$T/s4"
}

@test "text-meta: a prompt's string that is a word of the model stays whole" {
	printf '%s\n' "A b, c" "b c a" "c a b" >"$T/t"
	ccmc-estimate --text --lower --punct drop --markov --max-vocab 2 "$T/t" >"$T/m"
	# <unk> is a word of the model: not cut into "unk"; "B," becomes b
	printf '{"type":"prompt","prompt":["<unk>","B,",1]}\n' >"$T/p"
	attn-sample --model "$T/m" --ids "$T/p" | tail -n 1 >"$T/s"
	want=$(jq -c '[.vocab | index("<unk>"), index("b"), 1]' "$T/m")
	[ "$(jq -c .prompt "$T/s")" = "$want" ]
	# past the limit of a prompt: one located line, exit 65
	py "$T/long" <<<'import sys, json; open(sys.argv[1], "w").write(json.dumps({"type": "prompt", "prompt": ["a b"] * 600000}) + "\n")'
	run bash -c 'attn-sample --model "$1" "$2" >/dev/null' - "$T/m" "$T/long"
	assert_error 65 attn-sample
	assert_located attn-sample
	[[ $output == *"more than"*"words"* ]]
}
