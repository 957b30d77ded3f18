# E4: the share of the most frequent token in the context and the context's
# entropy along single trajectories: the CCMC collapses, the Markov chain
# with the same P mixes.
load "share/plot/common.gp"
counts = line("names.dat", 1)
nc = word(counts, 1) + 0
nm = word(counts, 2) + 0
set multiplot layout 1,2 title "E4: single trajectories of one model (K = 8): CCMC (solid) against the ordinary Markov chain of the same P (dashed)"
set logscale x
set format x "10^{%L}"
# the x axis ends where the trajectories do
stats dir."shares.dat" using 1 nooutput
set xrange [1:STATS_max]
set xlabel "step t"
set ylabel "share of the most frequent token in the context"
set yrange [0:1]
set key top left
plot for [i=1:nc] dir."shares.dat" index i-1 using 1:2 with lines lc 1 notitle, \
	for [i=nc+1:nc+nm] dir."shares.dat" index i-1 using 1:2 with lines lc 2 dt 2 notitle, \
	1/0 with lines lc 1 title "CCMC", 1/0 with lines lc 2 dt 2 title "Markov chain"
set ylabel "entropy of the context's token distribution (nats)"
set yrange [0:*]
set key top right
plot for [i=1:nc] dir."shares.dat" index i-1 using 1:3 with lines lc 1 notitle, \
	for [i=nc+1:nc+nm] dir."shares.dat" index i-1 using 1:3 with lines lc 2 dt 2 notitle, \
	1/0 with lines lc 1 title "CCMC", 1/0 with lines lc 2 dt 2 title "Markov chain"
unset multiplot
