# E7 real text (attn-ccmc(7), human text): a CCMC fitted to human text
# explains only the steps whose next word is in its window, and what it
# generates from a human prompt repeats itself more than the text does.
#
# Text: the licences in /usr/share/common-licenses (package base-files, on
# every Debian system), one licence a line (tr), read by the toolkit's own
# text options: lower case, punctuation dropped, cut into pieces of 96
# words (E7_SPLIT); every fifth piece is held out for scoring (E7_TEST),
# the others train (E7_TRAIN), and of those every fifth is the dev part
# (--dev-share 0.2) on which the CCMC's unigram mix weight is fitted and
# the add-k bigrams' k is chosen.  Nothing is fitted on a scored step.
# Models, all fitted on the same steps and scored on the same held-out
# steps: the CCMC with a window of 32 words (ridge MAP, with its unigram
# background), the bigram Markov chain by interpolated Kneser-Ney
# (--markov), add-k bigrams for k in E7_K, and the unigram.  From each
# held-out piece's first 32 words: continuations of C words by the CCMC
# (which honours its window) and by the Kneser-Ney chain (attn-sample
# --trajectory [--markov]), against the piece's own next C words, all in
# the models' vocabulary (other words are <unk>); their repetition by
# traj-stats (seq-rep-4, rep-16/32, distinct-n, winner sets).
# Claims (ours): held-out coverage is far from 1 (below 0.9); the CCMC's
# continuations repeat more than the human ones and the bigram chain's
# (seq-rep-4 and rep-32 both higher, over all prompts and seeds).
# Perplexities are reported side by side and the lowest named, not judged.
#
# The scan (ours; reported, not judged): the same fits over a grid of
# vocabularies E7_SCAN_V and windows E7_SCAN_W, on pieces of
# E7_SCAN_CHUNK words (pieces of 96 would make every window past 95 the
# whole piece), each scored on the same
# held-out steps (coverage; perplexities of CCMC+unigram, Kneser-Ney and
# add-k with k chosen on the dev part), with its continuations' repetition
# (seed 1), the written model's size and the fit's CPU time and peak
# memory (e7-measure.py, in FILE.res beside each job: measurements are
# not part of a job's reproducible bytes).  At full size the text is the
# machine's licences, copyright files and Debian changelogs (e7-corpus.py:
# repeated files and paragraphs dropped, and the changelogs' header and
# trailer lines), which data/corpus.json describes.

E7_V_tiny = 200
E7_V_demo = 300
E7_V_full = 1000
E7_V = $(E7_V_$(SCALE))
E7_W = 32
E7_P = 32
E7_C = 64
E7_K = 0.001 0.003 0.01 0.03 0.1 0.3 1
E7_SEEDS_tiny = 1
E7_SEEDS_demo = 1 2 3
E7_SEEDS_full = 1 2 3 4 5 6 7 8 9 10
E7_SCAN_V_tiny = 100 200
E7_SCAN_V_demo = 100 300 1000
E7_SCAN_V_full = 1000 10000 50000
E7_SCAN_V = $(E7_SCAN_V_$(SCALE))
E7_SCAN_W_tiny = 32
E7_SCAN_W_demo = 32 128
E7_SCAN_W_full = 32 128 512
E7_SCAN_W = $(E7_SCAN_W_$(SCALE))
# the scan's pieces: longer than its widest window, or the windows would
# all see the whole piece
E7_SCAN_CHUNK = 1024
# the scan's records: dense up to 2048 words, sparse beyond (ccmc-estimate
# --form); E7_FORM=sparse writes every one sparse
E7_FORM = auto
E7_DIR = /usr/share/common-licenses
E7_FILES = Apache-2.0 Artistic BSD CC0-1.0 GFDL-1.3 GPL-2 GPL-3 LGPL-2.1 \
	LGPL-3 MPL-1.1 MPL-2.0

E7 = $(RESULTS)/e7
JOBS_e7 = $(E7)/fit/ccmc.json $(E7)/fit/markov.json $(E7)/eval/ccmc.json \
	$(E7)/eval/markov.json $(E7)/data/steps.txt \
	$(foreach k,$(E7_K),$(E7)/fit/addk_k$k.json $(E7)/eval/addk_k$k.json) \
	$(E7)/gen/ccmc_s1.ndjson $(E7)/gen/markov_s1.ndjson \
	$(E7)/stats/human.ndjson \
	$(foreach s,$(E7_SEEDS_$(SCALE)),$(E7)/stats/ccmc_s$s.ndjson \
	$(E7)/stats/markov_s$s.ndjson) \
	$(E7)/data/corpus.json \
	$(foreach v,$(E7_SCAN_V),$(foreach w,$(E7_SCAN_W),$(E7)/scan/ccmc_v$v_w$w.json) \
	$(E7)/scan/markov_v$v.json $(foreach k,$(E7_K),$(E7)/scan/addk_v$v_k$k.json))

# Every job starts from the text, so that each stands alone (jobs may run
# in any order, or in parallel).  A job that needs a model takes the fit
# job's file once it is there (make runs the fits first) and otherwise
# fits the same model again: the fits are most of E7's time.  Distinct
# texts only: symlinks (GPL -> GPL-3, ...) and near-copies (GFDL-1.2,
# LGPL-2, GPL-1) would put held-out text into training.
E7_DOCS_tiny = for f in $(E7_FILES); do tr -s "[:space:]" " " <$(E7_DIR)/$$f || \
	exit 1; echo; done
E7_DOCS_demo = $(E7_DOCS_tiny)
E7_DOCS_full = $(PYTHON) $(X)/e7-corpus.py
E7_DOCS = $(E7_DOCS_$(SCALE))
e7_split = --text --lower --punct drop --chunk $1
E7_SPLIT = $(call e7_split,96)
e7_train = $(call e7_split,$2) --skip-pieces 5/5 --dev-share 0.2 --max-vocab $1
E7_TRAIN = $(call e7_train,$(E7_V),96)
E7_TEST = $(E7_SPLIT) --pieces 5/5
E7_DATA = $(E7_DOCS) | $(PYTHON) $(X)/e7-data.py
E7_FIT_ccmc = $(E7_DOCS) | $(call prog,ccmc-estimate) $(E7_TRAIN) \
	--window $(E7_W) --brief
E7_FIT_markov = $(E7_DOCS) | $(call prog,ccmc-estimate) $(E7_TRAIN) --markov
E7_FIT_addk = $(E7_DOCS) | $(call prog,ccmc-estimate) $(E7_TRAIN) --markov \
	--laplace $(call arg,k,$(call stem,$1))
e7_kind = $(word 1,$(subst _, ,$(call stem,$1)))
e7_dir = $(notdir $(patsubst %/,%,$(dir $1)))
e7_fit = $(call E7_FIT_$(call e7_kind,$1),$1)
# The fit a job needs (fit/NAME.json: an eval's own name, a continuation's
# or a statistic's kind; the human continuations need the CCMC's
# vocabulary), from its file or fitted again (cat fails: no file yet).
e7_fitname = $(if $(filter addk,$(call e7_kind,$1)),$(call stem,$1),$(if \
	$(filter markov,$(call e7_kind,$1)),markov,ccmc))
e7_fitfile = $(E7)/fit/$(e7_fitname).json
e7_model = { cat $(e7_fitfile) 2>/dev/null || $(call e7_fit,$(e7_fitfile)); }
# continuations: the trajectory records alone (attn-sample first prints its
# model: a header, and a sparse model's rows too)
e7_gen = $(E7_DATA) prompts $(E7_P) $(E7_C) | $(call prog,attn-sample) \
	--trajectory --steps $(E7_C) --seed $(call arg,s,$(call stem,$1)) \
	$(if $(filter markov,$(call e7_kind,$1)),--markov) \
	--model <($(e7_model)) | grep "^{\"type\":\"trajectory\""

# results/e7/fit/ccmc.json, eval/addk_k0.01.json, gen/ccmc_s1.ndjson,
# stats/markov_s2.ndjson, stats/human.ndjson, data/steps.txt -> pipeline
cmd_e7 = $(cmd_e7_$(call e7_dir,$1))
cmd_e7_fit = $(e7_fit)
cmd_e7_eval = $(E7_DOCS) | $(call prog,ccmc-estimate) $(E7_TEST) \
	--eval <($(e7_model))
cmd_e7_data = $(if $(filter corpus,$(call e7_kind,$1)),$(if $(filter \
	full,$(SCALE)),$(E7_DOCS_full) --about,$(E7_DOCS) | wc -w -c | { read w \
	b; printf "{\"words\":%s,\"bytes\":%s}\n" $$w $$b; }),$(E7_DATA) steps)

# The scan's jobs (scan/ccmc_v300_w32.json, scan/markov_v300.json,
# scan/addk_v300_k0.01.json): a fit measured into FILE.model, then its
# record on the held-out steps (eval), the model's size, and for the CCMC
# and Kneser-Ney its continuations' repetition (a traj-stats summary); an
# add-k fit first says its perplexity on the dev part.
e7_v = $(call arg,v,$(call stem,$1))
e7_scanfit = $(E7_DOCS) | $(PYTHON) $(X)/e7-measure.py $1.res \
	$(call prog,ccmc-estimate) $(call e7_train,$(e7_v),$(E7_SCAN_CHUNK)) \
	--form $(E7_FORM) $2 >$1.model
e7_scaneval = $(E7_DOCS) | $(call prog,ccmc-estimate) $(call \
	e7_split,$(E7_SCAN_CHUNK)) --pieces 5/5 --eval $1.model && \
	printf "{\"type\":\"model\",\"bytes\":%s}\n" $$(wc -c <$1.model)
e7_scanrep = $(E7_DOCS) | E7_CHUNK=$(E7_SCAN_CHUNK) $(PYTHON) $(X)/e7-data.py \
	prompts $(E7_P) $(E7_C) | $(call prog,attn-sample) \
	--trajectory --steps $(E7_C) --seed 1 $2 --model $1.model | grep "^{\"type\":\"trajectory\"" | \
	$(call prog,traj-stats) --summary --window $(E7_C)
cmd_e7_scan = $(cmd_e7_scan_$(call e7_kind,$1)) && rm -f $1.model
cmd_e7_scan_ccmc = $(call e7_scanfit,$1,--window $(call arg,w,$(call \
	stem,$1)) --brief) && $(e7_scaneval) && $(e7_scanrep)
cmd_e7_scan_markov = $(call e7_scanfit,$1,--markov) && $(e7_scaneval) && \
	$(call e7_scanrep,$1,--markov)
cmd_e7_scan_addk = $(call e7_scanfit,$1,--markov --laplace $(call arg,k,$(call \
	stem,$1))) && jq -c "select(.type == \"ccmc\") | {type: \"dev\", \
	perplexity: .fit.dev.perplexity}" $1.model && $(e7_scaneval)
cmd_e7_gen = $(e7_gen)
cmd_e7_stats = $(if $(filter human,$(call e7_kind,$1)),$(E7_DATA) human \
	$(E7_P) $(E7_C) <($(e7_model)) | $(call prog,traj-stats) --text \
	--window $(E7_C),$(e7_gen) | $(call prog,traj-stats) --window $(E7_C))

PROGS_e7 = $(call prog,ccmc-estimate) $(call prog,attn-sample) \
	$(call prog,traj-stats)
$(JOBS_e7): $(PROGS_e7) $(X)/e7.mk $(X)/e7-data.py $(X)/e7-corpus.py \
	$(X)/e7-measure.py
	@$(call run,e7,$@)
LATE_e7 = $(filter $(E7)/eval/% $(E7)/gen/% $(E7)/stats/%,$(JOBS_e7))
$(foreach f,$(LATE_e7),$(eval $f: $(call e7_fitfile,$f)))

FIGS_e7 = $(E7)/text.png $(E7)/scan.png
$(E7)/summary.json: $(JOBS_e7) $(X)/e7.py $(X)/expt.py
	@E7_W=$(E7_W) E7_C=$(E7_C) $(call reduce,e7)
$(E7)/scan.png: $(E7)/summary.json $(PLOT)/e7-scan.gp $(PLOT)/common.gp
	@$(call plot,e7-scan,$@)
$(E7)/text.png: $(E7)/summary.json $(PLOT)/e7-text.gp $(PLOT)/common.gp
	@$(call plot,e7-text,$@)
