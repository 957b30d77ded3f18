# E2: squared Frobenius error of the estimated P against the sample size,
# mean over seeds with min-max bars, and the fitted common slope.
load "share/plot/common.gp"
names = line("names.dat", 1)
fit = line("names.dat", 2)
set title sprintf("E2: ||P_{hat} - P||_F^2 against n (uniform prompts of length 8; mean of %s seeds, bars min to max)\nfitted slope %s, 95%% interval %s, over n >= %s K^2 (claim: -1 +/- 0.2)", word(fit, 4), word(fit, 1), word(fit, 2), word(fit, 3))
set logscale xy
set format x "10^{%L}"; set format y "10^{%L}"
set xlabel "samples n"
set ylabel "squared Frobenius error of P (identified entries)"
set key bottom left Left reverse font ",10"
plot for [i=1:words(names)] dir."error.dat" index i-1 using 2:3:4:5 with yerrorlines lc i pt 7 title word(names, i), \
	for [i=1:words(names)] dir."fit.dat" index i-1 using 2:3 with lines lc i dt 2 lw 2 notitle, \
	1/0 with lines lc rgb "black" dt 2 lw 2 title "fit, common slope", \
	for [i=1:words(names)] dir."error.dat" index i-1 using 2:($9 < 1 ? $3 : 1/0) with points lc rgb "black" pt 2 ps 2.5 notitle, \
	1/0 with points lc rgb "black" pt 2 ps 2.5 title "x: some entries unidentified (error over fewer entries: lower, not better)"
