# E7 real text (attn-ccmc(7), text): a CCMC fitted to human text explains
# only the steps whose next word is in its window, and what it generates
# from a human prompt repeats itself more than the text does.
#
# Text: the licences in /usr/share/common-licenses (package base-files, on
# every Debian system), cut into chunks of 96 words, every fifth held out
# (e7-data.py).  On the training chunks: the CCMC with a window of 32 words
# (ccmc-estimate --text: ridge MAP, a unigram background and its weight),
# and as baselines on the same tokens the bigram Markov chain (--markov,
# add-one smoothing) and the unigram.  On the held-out chunks: coverage and
# perplexities (--eval).  From each held-out chunk's first 32 words:
# continuations of C words by the CCMC and by the bigram chain
# (attn-sample --trajectory [--markov]), against the chunk's own next C
# words, all in the models' vocabulary (other words are <unk>); their
# repetition by traj-stats (seq-rep-4, rep-16/32, distinct-n, winner sets).
# Claims: held-out coverage is far from 1 (below 0.9); the CCMC's
# continuations repeat more than the human ones and the bigram chain's
# (seq-rep-4 and rep-32 both higher, over all prompts and seeds).
# Perplexities are reported side by side, not judged.

E7_V_tiny = 200
E7_V_demo = 500
E7_V_paper = 1000
E7_V = $(E7_V_$(SCALE))
E7_W = 32
E7_C = 64
E7_SEEDS_tiny = 1
E7_SEEDS_demo = 1 2 3
E7_SEEDS_paper = 1 2 3 4 5 6 7 8 9 10

E7 = $(RESULTS)/e7
JOBS_e7 = $(E7)/fit/ccmc.json $(E7)/fit/markov.json $(E7)/eval/ccmc.json \
	$(E7)/eval/markov.json $(E7)/gen/ccmc_s1.ndjson \
	$(E7)/gen/markov_s1.ndjson $(E7)/stats/human.ndjson \
	$(foreach s,$(E7_SEEDS_$(SCALE)),$(E7)/stats/ccmc_s$s.ndjson \
	$(E7)/stats/markov_s$s.ndjson)

# Every job starts from the text, so that each stands alone (jobs may run
# in any order, or in parallel); the fits take a fraction of a second.
E7_DATA = $(PYTHON) $(X)/e7-data.py
E7_FIT_ccmc = $(E7_DATA) train | $(call prog,ccmc-estimate) --text \
	--window $(E7_W) --max-vocab $(E7_V) --brief
E7_FIT_markov = $(E7_DATA) train | $(call prog,ccmc-estimate) --text \
	--markov --max-vocab $(E7_V)
e7_kind = $(word 1,$(subst _, ,$(call stem,$1)))
e7_dir = $(notdir $(patsubst %/,%,$(dir $1)))
# continuations: the model record attn-sample prints first is dropped
e7_gen = $(E7_DATA) prompts | $(call prog,attn-sample) --trajectory \
	--steps $(E7_C) --seed $(call arg,s,$(call stem,$1)) \
	$(if $(filter markov,$(call e7_kind,$1)),--markov) \
	--model <($(E7_FIT_$(call e7_kind,$1))) | tail -n +2

# results/e7/fit/ccmc.json, eval/markov.json, gen/ccmc_s1.ndjson,
# stats/markov_s2.ndjson, stats/human.ndjson -> pipeline
cmd_e7 = $(cmd_e7_$(call e7_dir,$1))
cmd_e7_fit = $(E7_FIT_$(call e7_kind,$1))
cmd_e7_eval = $(E7_DATA) heldout | $(call prog,ccmc-estimate) --text \
	--eval <($(E7_FIT_$(call e7_kind,$1)))
cmd_e7_gen = $(e7_gen)
cmd_e7_stats = $(if $(filter human,$(call e7_kind,$1)),$(E7_DATA) human \
	$(E7_C) <($(E7_FIT_ccmc)) | $(call prog,traj-stats) --text \
	--window $(E7_C),$(e7_gen) | $(call prog,traj-stats) --window $(E7_C))

PROGS_e7 = $(call prog,ccmc-estimate) $(call prog,attn-sample) \
	$(call prog,traj-stats)
$(JOBS_e7): $(PROGS_e7) $(X)/e7.mk $(X)/e7-data.py
	@$(call run,e7,$@)

FIGS_e7 = $(E7)/text.png
$(E7)/summary.json: $(JOBS_e7) $(X)/e7.py $(X)/expt.py
	@E7_W=$(E7_W) E7_C=$(E7_C) $(call reduce,e7)
$(E7)/text.png: $(E7)/summary.json $(PLOT)/e7-text.gp $(PLOT)/common.gp
	@$(call plot,e7-text,$@)
