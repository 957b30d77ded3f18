# E5: samples and error of each row of P learned from one trajectory, as
# the trajectory grows; rows of winners against rows of fading tokens.
load "share/plot/common.gp"
names = line("names.dat", 1)
info = line("names.dat", 4)
set multiplot layout 1,2 title sprintf("E5: learning row i of P from one trajectory (K = 8, prompt tokens %s; %s seeds, one line per seed and row)", word(info, 3), word(info, 2))
set logscale xy
set format x "10^{%L}"; set format y "10^{%L}"
set xlabel "trajectory length T"
set ylabel "samples of row i (steps whose query is i)"
set key top left
col(i) = word(names, i) eq "winner" ? 1 : 2
plot for [i=1:words(names)] dir."rows.dat" index i-1 using 1:($2 > 0 ? $2 : 1/0) with lines lc col(i) lw 0.7 notitle, \
	1/0 with lines lc 1 title "winner rows", 1/0 with lines lc 2 title "fading rows", \
	x with lines lc rgb "black" dt 2 title "T"
set ylabel "squared error of row i's ratios P_{ij} / P_{il}"
set key bottom left font ",10"
plot for [i=1:words(names)] dir."rows.dat" index i-1 using 1:3 with lines lc col(i) lw 0.7 notitle, \
	dir."means.dat" index 0 using 1:2 with linespoints lc 1 lw 3 pt 7 title "winner rows (mean)", \
	dir."means.dat" index 1 using 1:2 with linespoints lc 2 lw 3 pt 7 title "fading rows (mean)", \
	dir."means.dat" index 2 using 1:2 with linespoints lc 3 lw 3 pt 5 title "winner rows, among winners only (mean)"
unset multiplot
