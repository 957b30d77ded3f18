# E2: error * n / K^2 against n: flat in n and across K if the error is K^2/n.
load "share/plot/common.gp"
names = line("names.dat", 1)
fit = line("names.dat", 2)
set title sprintf("E2: error * n / K^2 against n (mean of %s seeds, bars min to max)\nflat in n under the K^2/n rate, and (ours) level across K; the fit uses n >= %s K^2", word(fit, 4), word(fit, 3))
set logscale xy
set format x "10^{%L}"
set xlabel "samples n"
set ylabel "||P_{hat} - P||_F^2 * n / K^2"
set key bottom right font ",10"
plot for [i=1:words(names)] dir."error.dat" index i-1 using 2:6:7:8 with yerrorlines lc i pt 7 title word(names, i), \
	for [i=1:words(names)] dir."error.dat" index i-1 using 2:($9 < 1 ? $6 : 1/0) with points lc rgb "black" pt 2 ps 2.5 notitle, \
	1/0 with points lc rgb "black" pt 2 ps 2.5 title "x: some entries unidentified (error over fewer entries: lower, not better)"
