# E4 winner-takes-all (attn-ccmc(7)): a trajectory of the CCMC
# comes to be dominated by a few winner tokens, while the ordinary Markov
# chain with the same P mixes over all of them; and (ours) the mean-field
# attractors predict the winners.
#
# Curves: E4_CURVES trajectories of one model, by the CCMC and by the
# Markov chain (attn-sample --markov), through traj-stats one record each.
# Grid: for each --scale x, --diag d and model seed s, E4_TRAJ trajectories
# by the CCMC and E4_MARKOV_TRAJ by the Markov chain (uniform prompts of
# length 8 over K = 8 tokens), summarised by
# traj-stats --summary with the model (its classes: each token a winner, a
# loser or undecided by a test at family-wise level 0.01; the verdicts
# collapsed / not collapsed / undecided; the prediction's agreement with
# the decided classes).  Claims: Markov trajectories are called collapsed
# at most at that level, CCMC ones at least 0.5 more often; (ours) a
# mean-field attractor is consistent with the classes of >= 90% of the
# decided CCMC trajectories.  Each share is judged by its 95% interval
# (e4.py); the verdict says which of the two claims fails or is undecided.

E4_K = 8
E4_LEN = 8
E4_STEPS_tiny = 2000
E4_STEPS_demo = 20000
E4_STEPS_full = 200000
E4_STEPS = $(E4_STEPS_$(SCALE))
E4_CURVES = 8
E4_TRAJ_tiny = 4
E4_TRAJ_demo = 10
E4_TRAJ_full = 50
# The Markov chain's trajectories per model: its claim is about a rare
# event (a false collapse, at most 1%), whose interval narrows only with
# many trajectories; they are cheap (no mean field).  At demo size 4800
# (100 a model) put the interval of a rate of 0.5% (what 2x10^4 steps
# give) below 1%; 480 (10 a model) could not tell it from 1%.
E4_MARKOV_TRAJ_tiny = $(E4_TRAJ_tiny)
E4_MARKOV_TRAJ_demo = 100
E4_MARKOV_TRAJ_full = $(E4_TRAJ_full)
E4_SCALES_tiny = 1
E4_SCALES_demo = 0.5 1 2 4
E4_SCALES_full = 0.5 1 2 4
E4_DIAGS_tiny = 0 2
E4_DIAGS_demo = 0 1 2
E4_DIAGS_full = 0 1 2
E4_SEEDS_tiny = 1
E4_SEEDS_demo = 1 2 3 4
E4_SEEDS_full = 1 2 3 4 5 6 7 8 9 10
E4_CURVE_MODEL = --vocab $(E4_K) --seed 5
E4_WAYS = ccmc markov
# attn-sample marks the Markov chain's trajectories ("chain":"markov"),
# and traj-stats makes no mean-field prediction for them (it counts them
# as skipped): both ways read the same kind of input.
e4_markov = $(if $(filter markov,$1),--markov)

JOBS_e4 = $(foreach w,$(E4_WAYS),$(RESULTS)/e4/curves/$w.ndjson \
	$(foreach x,$(E4_SCALES_$(SCALE)),$(foreach d,$(E4_DIAGS_$(SCALE)),$(foreach \
	s,$(E4_SEEDS_$(SCALE)),$(RESULTS)/e4/grid/$w/x$x_d$d_s$s.json))))

# results/e4/curves/WAY.ndjson, results/e4/grid/WAY/x1_d0_s1.json -> pipeline
e4_way = $(notdir $(patsubst %/,%,$(dir $1)))
e4_curves = $(call prog,attn-gen-model) $(E4_CURVE_MODEL) | $(call \
	prog,attn-sample) --trajectory -n $(E4_CURVES) --steps $(E4_STEPS) --len \
	$(E4_LEN) --seed 1 $(call e4_markov,$(call stem,$1)) | $(call prog,traj-stats)
e4_grid = $(call prog,attn-gen-model) --vocab $(E4_K) --scale $(call \
	arg,x,$(call stem,$1)) --diag $(call arg,d,$(call stem,$1)) --seed $(call \
	arg,s,$(call stem,$1)) | $(call prog,attn-sample) --trajectory -n \
	$(if $(filter markov,$(call e4_way,$1)),$(E4_MARKOV_TRAJ_$(SCALE)),$(E4_TRAJ_$(SCALE))) --steps $(E4_STEPS) --len $(E4_LEN) --seed $(call \
	arg,s,$(call stem,$1)) $(call e4_markov,$(call e4_way,$1)) | $(call \
	prog,traj-stats) --summary --predict
cmd_e4 = $(if $(filter curves,$(call e4_way,$1)),$(e4_curves),$(e4_grid))

PROGS_e4 = $(call prog,attn-gen-model) $(call prog,attn-sample) $(call prog,traj-stats)
$(JOBS_e4): $(PROGS_e4) $(X)/e4.mk
	@$(call run,e4,$@)

FIGS_e4 = $(RESULTS)/e4/shares.png $(RESULTS)/e4/winners.png $(RESULTS)/e4/prediction.png
$(RESULTS)/e4/summary.json: $(JOBS_e4) $(X)/e4.py $(X)/expt.py
	@$(call reduce,e4)
$(RESULTS)/e4/shares.png: $(RESULTS)/e4/summary.json $(PLOT)/e4-shares.gp $(PLOT)/common.gp
	@$(call plot,e4-shares,$@)
$(RESULTS)/e4/winners.png: $(RESULTS)/e4/summary.json $(PLOT)/e4-winners.gp $(PLOT)/common.gp
	@$(call plot,e4-winners,$@)
$(RESULTS)/e4/prediction.png: $(RESULTS)/e4/summary.json $(PLOT)/e4-prediction.gp $(PLOT)/common.gp
	@$(call plot,e4-prediction,$@)
