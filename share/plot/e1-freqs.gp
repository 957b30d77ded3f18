# E1: sampled token counts against the counts the probabilities predict,
# per (query token, next token) cell, and the standardised residuals.
load "share/plot/common.gp"
names = line("names.dat", 2)
set multiplot layout 1,2 title "E1: sampled next tokens vs CCMC probabilities (per query row and token)"
set logscale xy
set format x "10^{%L}"; set format y "10^{%L}"
set xlabel "expected count (sum of p over samples)"
set ylabel "observed count"
set key top left font ",9"
plot for [i=1:words(names)] dir."freqs.dat" index i-1 using 1:($2 > 0 ? $2 : 1/0) pt i ps 0.8 title word(names, i), \
	x with lines lc rgb "black" dt 2 title "y = x"
unset logscale y
set format y "%g"
set ylabel "(observed - expected) / standard deviation"
set yrange [-5:5]
set key off
plot for [i=1:words(names)] dir."freqs.dat" index i-1 using 1:3 pt i ps 0.8 title word(names, i), \
	2 with lines lc rgb "gray" dt 2, -2 with lines lc rgb "gray" dt 2, \
	3 with lines lc rgb "red" dt 2, -3 with lines lc rgb "red" dt 2
unset multiplot
