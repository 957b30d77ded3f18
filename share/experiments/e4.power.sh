#!/bin/sh
# E4's power: at which T traj-stats decides.  For each cell of the E4 grid
# (--scale, --diag; model seed 1, K = 8, uniform prompts of 8 tokens), N
# trajectories by the CCMC and by the Markov chain of the same P at
# T = 10^3, 10^4, 10^5; prints the shares decided (CCMC: collapsed or not;
# Markov: not collapsed, and called collapsed, which would be an error).
# From the top of the source tree:  sh share/experiments/e4.power.sh [N]
BIN=${BIN:-bin}
N=${1:-20}
printf '%-14s %-7s %s\n' cell T "CCMC decided (collapsed)  Markov decided not collapsed (called collapsed)"
for x in 0.5 1 2 4; do
	for d in 0 1 2; do
		for T in 1000 10000 100000; do
			for way in ccmc markov; do
				"$BIN/attn-gen-model" --vocab 8 --scale $x --diag $d --seed 1 |
				    "$BIN/attn-sample" --trajectory -n "$N" --steps $T --len 8 \
				    --seed 1 $([ $way = markov ] && echo --markov) | sed 1d |
				    "$BIN/traj-stats" --summary | jq -r '.classes |
				    "\(.shares.collapsed + .shares.not_collapsed) \(.shares.collapsed) \(.shares.not_collapsed)"'
			done | paste -s -d ' ' | awk -v c="x$x d$d" -v T=$T '{
				printf "%-14s %-7s %5.2f (%4.2f)               %5.2f (%4.2f)\n", c, T, $1, $2, $6, $5 }'
		done
	done
done
