# E1 equivalence (attn-ccmc(7)): the attention forward pass and
# the CCMC give the same next-token probabilities, with and without
# positional encodings; sampled tokens follow them.
#
# For each model variant, n prompts (lengths 1..48, so tokens repeat) go
# through attn-sample --probs twice, by the forward pass and --via ccmc,
# each in E1_SHARDS shards (same seed: the same prompts); attn-to-ccmc
# gives P and the position weights, from which the reducer recomputes the
# CCMC formula.  Claims: max |p_attention - p_ccmc| <= 1e-12; the sampled
# tokens pass a chi-square test against p (p-value >= 0.001).

E1_N_tiny = 2000
E1_N_demo = 20000
E1_N_full = 200000
E1_SHARDS_tiny = 2
E1_SHARDS_demo = 4
E1_SHARDS_full = 10
E1_N = $(E1_N_$(SCALE))
E1_SHARDS = $(E1_SHARDS_$(SCALE))

# The variants: attn-gen-model options.
E1_VARIANTS = onehot gaussian recency randpos
E1_onehot   = --vocab 8 --scale 2 --seed 11
E1_gaussian = --vocab 8 --scale 2 --embed gaussian --dim 12 --seed 12
E1_recency  = --vocab 8 --scale 2 --pos 64 --recency 4 --seed 13
E1_randpos  = --vocab 8 --scale 2 --pos 64 --embed gaussian --pos-scale 2 --seed 14
E1_PATHS = attention ccmc

E1_SHARD_IDS = $(shell seq 0 $$(($(E1_SHARDS) - 1)))
JOBS_e1 = $(foreach v,$(E1_VARIANTS),$(RESULTS)/e1/$v/ccmc.json \
	$(foreach p,$(E1_PATHS),$(foreach i,$(E1_SHARD_IDS),$(RESULTS)/e1/$v/$p-$i.ndjson)))

# FILE -> its command: results/e1/VARIANT/ccmc.json or .../PATH-SHARD.ndjson
e1_variant = $(notdir $(patsubst %/,%,$(dir $1)))
e1_path = $(word 1,$(subst -, ,$(call stem,$1)))
e1_shard = $(word 2,$(subst -, ,$(call stem,$1)))
cmd_e1 = $(call prog,attn-gen-model) $(E1_$(call e1_variant,$1)) | $(if \
	$(filter ccmc,$(call stem,$1)),$(call prog,attn-to-ccmc),$(call \
	prog,attn-sample) -n $(E1_N) --len 1:48 --probs --seed 1 \
	--via $(call e1_path,$1) --shard $(call e1_shard,$1)/$(E1_SHARDS))

PROGS_e1 = $(call prog,attn-gen-model) $(call prog,attn-sample) $(call prog,attn-to-ccmc)
$(JOBS_e1): $(PROGS_e1) $(X)/e1.mk
	@$(call run,e1,$@)

FIGS_e1 = $(RESULTS)/e1/probs.png $(RESULTS)/e1/freqs.png
$(RESULTS)/e1/summary.json: $(JOBS_e1) $(X)/e1.py $(X)/expt.py
	@$(call reduce,e1)
$(RESULTS)/e1/probs.png: $(RESULTS)/e1/summary.json $(PLOT)/e1-probs.gp $(PLOT)/common.gp
	@$(call plot,e1-probs,$@)
$(RESULTS)/e1/freqs.png: $(RESULTS)/e1/summary.json $(PLOT)/e1-freqs.gp $(PLOT)/common.gp
	@$(call plot,e1-freqs,$@)
