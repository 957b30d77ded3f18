# E5 learning from one trajectory (attn-ccmc(7)): a trajectory only
# ever shows the tokens of its initial prompt, and mostly its winners, so
# only some rows of P can be learned from it.
#
# One model (K = 8), an initial prompt holding tokens 0..5 only (6 and 7
# can never appear), one trajectory of T steps per seed, and ccmc-estimate
# on it (every step is a sample).  The truth is the model's own CCMC.  Rows
# are then classed by how their samples grow with T: winners (about in
# proportion to T), fading tokens (slower), absent tokens (never).
# Claims: absent rows and columns never get a number; the ratios among
# winners (transitions among tokens that keep appearing) converge like 1/T
# (slope -1 +/- 0.2); at the largest T winner rows are better known than
# fading ones.  The slope of whole winner rows (which include the ratios to
# fading tokens) is reported beside.

E5_MODEL = --vocab 8 --seed 7
E5_PROMPT = [0,1,2,3,4,5]
E5_T_tiny = 100 1000
E5_T_demo = 100 316 1000 3162 10000 31623 100000 316228 1000000
E5_T_full = 100 316 1000 3162 10000 31623 100000 316228 1000000
E5_SEEDS_tiny = 1 2
E5_SEEDS_demo = 1 2 3 4 5 6 7 8
E5_SEEDS_full = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20

JOBS_e5 = $(RESULTS)/e5/truth.json $(foreach T,$(E5_T_$(SCALE)),$(foreach \
	s,$(E5_SEEDS_$(SCALE)),$(RESULTS)/e5/est/T$T_s$s.ndjson))

# results/e5/truth.json, results/e5/est/T1000_s1.ndjson -> pipeline.  The
# initial prompt is a prompt record after the model record.
cmd_e5 = $(if $(filter truth,$(call stem,$1)),$(call prog,attn-gen-model) \
	$(E5_MODEL) | $(call prog,attn-to-ccmc),{ $(call prog,attn-gen-model) \
	$(E5_MODEL) && echo "{\"type\":\"prompt\",\"prompt\":$(E5_PROMPT)}"; } | \
	$(call prog,attn-sample) --trajectory --steps $(call arg,T,$(call \
	stem,$1)) --seed $(call arg,s,$(call stem,$1)) | $(call prog,ccmc-estimate))

PROGS_e5 = $(call prog,attn-gen-model) $(call prog,attn-sample) \
	$(call prog,attn-to-ccmc) $(call prog,ccmc-estimate)
$(JOBS_e5): $(PROGS_e5) $(X)/e5.mk
	@$(call run,e5,$@)

FIGS_e5 = $(RESULTS)/e5/rows.png $(RESULTS)/e5/entries.png
$(RESULTS)/e5/summary.json: $(JOBS_e5) $(X)/e5.py $(X)/expt.py
	@PROMPT='$(E5_PROMPT)' $(call reduce,e5)
$(RESULTS)/e5/rows.png: $(RESULTS)/e5/summary.json $(PLOT)/e5-rows.gp $(PLOT)/common.gp
	@$(call plot,e5-rows,$@)
$(RESULTS)/e5/entries.png: $(RESULTS)/e5/summary.json $(PLOT)/e5-entries.gp $(PLOT)/common.gp
	@$(call plot,e5-entries,$@)
NOTES_e5 = one trajectory never shows tokens 6 and 7, so P is undetermined, as it must be
