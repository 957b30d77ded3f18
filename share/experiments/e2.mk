# E2 sample complexity (attn-ccmc(7), learning): under coverage the MLE of the
# CCMC is consistent and ||P_hat - P||_F^2 shrinks like K^2 / n.
#
# For each vocabulary size K, sample size n and seed s: a model
# (attn-gen-model --seed s), n samples with uniform prompts of length 8
# (attn-sample --seed s), and the estimate with its error against the
# model (ccmc-estimate).  The reducer fits the log-log slope of the error
# against n with one intercept per K, over the points with n >= 10 K^2
# (the asymptotic regime; below it rows hold a few samples each and the
# MLE often does not exist).  Claims: slope -1 +/- 0.2, and (ours) error *
# n / K^2 flat across K (largest / smallest mean within a factor 3); both
# judged by their 95% intervals, the jackknife over seeds (e2.py).

E2_K_tiny = 5 10
E2_K_demo = 5 10 20 40
E2_K_full = 5 10 20 40
E2_N_tiny = 1000 10000
E2_N_demo = 100 316 1000 3162 10000 31623 100000
E2_N_full = 100 316 1000 3162 10000 31623 100000 316228 1000000
E2_SEEDS_tiny = 1 2
E2_SEEDS_demo = 1 2 3 4 5
E2_SEEDS_full = 1 2 3 4 5 6 7 8 9 10
E2_LEN = 8

JOBS_e2 = $(foreach K,$(E2_K_$(SCALE)),$(foreach n,$(E2_N_$(SCALE)),$(foreach \
	s,$(E2_SEEDS_$(SCALE)),$(RESULTS)/e2/runs/K$K_n$n_s$s.ndjson)))

# results/e2/runs/K10_n1000_s3.ndjson -> its pipeline
cmd_e2 = $(call prog,attn-gen-model) --vocab $(call arg,K,$(call stem,$1)) \
	--seed $(call arg,s,$(call stem,$1)) | $(call prog,attn-sample) \
	-n $(call arg,n,$(call stem,$1)) --len $(E2_LEN) --via ccmc \
	--seed $(call arg,s,$(call stem,$1)) | $(call prog,ccmc-estimate)

PROGS_e2 = $(call prog,attn-gen-model) $(call prog,attn-sample) $(call prog,ccmc-estimate)
$(JOBS_e2): $(PROGS_e2) $(X)/e2.mk
	@$(call run,e2,$@)

FIGS_e2 = $(RESULTS)/e2/error.png $(RESULTS)/e2/scaled.png
$(RESULTS)/e2/summary.json: $(JOBS_e2) $(X)/e2.py $(X)/expt.py
	@$(call reduce,e2)
$(RESULTS)/e2/error.png: $(RESULTS)/e2/summary.json $(PLOT)/e2-error.gp $(PLOT)/common.gp
	@$(call plot,e2-error,$@)
$(RESULTS)/e2/scaled.png: $(RESULTS)/e2/summary.json $(PLOT)/e2-scaled.gp $(PLOT)/common.gp
	@$(call plot,e2-scaled,$@)
NOTES_e2 = below n = 10 K^2 rows hold a few samples and the MLE often does not exist: those points are outside the fit
