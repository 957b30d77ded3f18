# E3 coverage (attn-ccmc(7), identifiability): what the data identify.  With uniform
# prompts every pair of tokens meets in some context, so all of P is
# determined; with blocks:3 prompts (all tokens of a prompt from one third
# of the vocabulary) no transition across blocks is ever seen: for a query
# in block b only the ratios P_ij / P_il within block b are determined, and
# P itself (which needs the mass that leaves the block) is not.
#
# For each prompt distribution, sample size n and seed s: model
# (attn-gen-model --vocab 12 --seed s), n samples, the estimate; and the
# model's own CCMC (attn-to-ccmc) as the truth.  Claims: the estimate gives
# no number for any cross-block entry (null), identifies every within-block
# ratio, and its error on them falls like 1/n (slope -1 +/- 0.2); uniform
# prompts identify all K^2 entries of P.

E3_K = 12
E3_BLOCKS = 3
E3_N_tiny = 1000 10000
E3_N_demo = 1000 3162 10000 31623 100000
E3_N_full = 1000 3162 10000 31623 100000 316228 1000000
E3_SEEDS_tiny = 1
E3_SEEDS_demo = 1 2 3 4 5 6 7 8 9 10
E3_SEEDS_full = 1 2 3 4 5 6 7 8 9 10
E3_LEN = 6
E3_PROMPTS_uniform = uniform
E3_PROMPTS_blocks = blocks:$(E3_BLOCKS)

JOBS_e3 = $(foreach s,$(E3_SEEDS_$(SCALE)),$(RESULTS)/e3/truth/s$s.json \
	$(foreach p,uniform blocks,$(foreach n,$(E3_N_$(SCALE)),$(RESULTS)/e3/$p/n$n_s$s.ndjson)))

# results/e3/truth/s1.json, results/e3/PROMPTS/n1000_s1.ndjson -> pipeline
e3_dist = $(notdir $(patsubst %/,%,$(dir $1)))
cmd_e3 = $(call prog,attn-gen-model) --vocab $(E3_K) --seed $(call arg,s,$(call \
	stem,$1)) | $(if $(filter truth,$(call e3_dist,$1)),$(call \
	prog,attn-to-ccmc),$(call prog,attn-sample) -n $(call arg,n,$(call stem,$1)) \
	--len $(E3_LEN) --prompts $(E3_PROMPTS_$(call e3_dist,$1)) --via ccmc \
	--seed $(call arg,s,$(call stem,$1)) | $(call prog,ccmc-estimate))

PROGS_e3 = $(call prog,attn-gen-model) $(call prog,attn-sample) \
	$(call prog,attn-to-ccmc) $(call prog,ccmc-estimate)
$(JOBS_e3): $(PROGS_e3) $(X)/e3.mk
	@$(call run,e3,$@)

FIGS_e3 = $(RESULTS)/e3/identified.png $(RESULTS)/e3/error.png
$(RESULTS)/e3/summary.json: $(JOBS_e3) $(X)/e3.py $(X)/expt.py
	@BLOCKS=$(E3_BLOCKS) $(call reduce,e3)
$(RESULTS)/e3/identified.png: $(RESULTS)/e3/summary.json $(PLOT)/e3-identified.gp $(PLOT)/common.gp
	@$(call plot,e3-identified,$@)
$(RESULTS)/e3/error.png: $(RESULTS)/e3/summary.json $(PLOT)/e3-error.gp $(PLOT)/common.gp
	@$(call plot,e3-error,$@)
NOTES_e3 = blocks prompts leave P undetermined, as they must
