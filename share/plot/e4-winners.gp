# E4: the decided winner sets of CCMC trajectories (classes of traj-stats)
# as the attention scale and the diagonal bonus vary, and the undecided.
load "share/plot/common.gp"
diags = line("names.dat", 2)
tot = line("names.dat", 3)
set multiplot layout 1,words(diags) title sprintf("E4: decided winners of CCMC trajectories, by --scale and --diag (test at level 0.01)\ndecided collapsed: CCMC %.0f%%, Markov chain of the same P %.1f%%; undecided: CCMC %.0f%%, Markov %.0f%%", 100*word(tot, 1), 100*word(tot, 2), 100*word(tot, 3), 100*word(tot, 4))
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:1.3]
set ytics 0, 0.2, 1
set xlabel "--scale"
set ylabel "share of trajectories"
set key top left horizontal maxrows 2 font ",9" samplen 1.5
do for [i=1:words(diags)] {
	if (i > 1) { unset key }
	set title "--diag ".word(diags, i)
	plot dir."winners.dat" index i-1 using 2:xtic(1) title "1 winner", \
		"" index i-1 using 3 title "2", "" index i-1 using 4 title "3", \
		"" index i-1 using 5 title "4 or more", "" index i-1 using 6 title "undecided"
}
unset multiplot
