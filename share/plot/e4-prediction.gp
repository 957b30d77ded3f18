# E4 (ours): how often the mean-field prediction agrees with the decided
# classes of CCMC trajectories.
load "share/plot/common.gp"
diags = line("names.dat", 2)
set title "E4 (ours): decided CCMC trajectories whose classes agree with a mean-field attractor\n(consistent: it holds every decided winner and no decided loser; exact: it is the winners, every other token a decided loser)"
set xlabel "--scale"
set ylabel "share of decided trajectories"
set logscale x 2
stats dir."prediction.dat" using 1 nooutput
set xrange [STATS_min / 1.4 : STATS_max * 1.4]
set yrange [0:1.05]
set key center right font ",9"
plot for [i=1:words(diags)] dir."prediction.dat" index i-1 using 1:2 with linespoints lc i pt 7 title "consistent, --diag ".word(diags, i), \
	for [i=1:words(diags)] dir."prediction.dat" index i-1 using 1:3 with linespoints lc i pt 6 dt 2 title "exact, --diag ".word(diags, i), \
	0.9 with lines lc rgb "red" dt 3 title "90%"
