# E4 (ours): how often the mean-field prediction holds the observed winners.
load "share/plot/common.gp"
diags = line("names.dat", 2)
set title "E4 (ours): CCMC trajectories whose observed winner set is a predicted attractor (mean field, attn-ccmc(7))"
set xlabel "--scale"
set ylabel "share of trajectories"
set logscale x 2
stats dir."prediction.dat" using 1 nooutput
set xrange [STATS_min / 1.4 : STATS_max * 1.4]
set yrange [0:1.05]
set key bottom right
plot for [i=1:words(diags)] dir."prediction.dat" index i-1 using 1:2 with linespoints lc i pt 7 title "growth rule, among attractors, --diag ".word(diags, i), \
	for [i=1:words(diags)] dir."prediction.dat" index i-1 using 1:3 with linespoints lc i pt 6 dt 2 title "growth rule, the one reached from the prompt, --diag ".word(diags, i), \
	0.9 with lines lc rgb "red" dt 3 title "90%"
