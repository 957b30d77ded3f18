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
