# E3: errors of what is identified; what is not identified has no estimate.
load "share/plot/common.gp"
par = line("names.dat", 1)
set title sprintf("E3: error on identified entries against n (K = %s, mean over seeds, bars min to max)\ncross-block entries under blocks:%s get no estimate; guessing 0 there would cost the dashed line", word(par, 1), word(par, 2))
set logscale xy
set format x "10^{%L}"; set format y "10^{%L}"
set xlabel "samples n"
set ylabel "squared error (sum over entries)"
set key bottom left
plot dir."error.dat" index 0 using 1:($5 >= 0 ? $5 : 1/0) with linespoints pt 7 lc 1 title "uniform: all K^2 entries of P", \
	dir."error.dat" index 1 using 1:2:3:4 with yerrorlines pt 5 lc 2 title "blocks: within-block ratios P_{ij}/sum_{l in block} P_{il}", \
	dir."error.dat" index 1 using 1:6 with lines dt 2 lw 2 lc 3 title "blocks: cross-block entries, sum of P_{ij}^2 (the cost of guessing 0)"
