# E8: excess * n / parameters against n / parameters: 1/2 under classical
# asymptotics, for the W-fit (d^2) and the A-fit (K(K-1)) alike.
load "share/plot/common.gp"
names = line("names.dat", 1)
fit = line("names.dat", 2)
set title sprintf("E8 (ours): excess * n / parameters (d^2 for W, K(K-1) for A) against n / parameters\nmean of %s seeds, bars min to max; classical asymptotics: 1/2 (dashed)", word(fit, 4))
set logscale x
set xlabel "n / parameters"
set ylabel "excess * n / parameters"
set yrange [0:*]
set key top right font ",10"
plot for [i=1:words(names)] dir."excess.dat" index i-1 using 7:8:9:10 with yerrorlines lc i pt (strstrt(word(names, i), "A,") ? 5 : 7) title word(names, i), \
	0.5 with lines lc rgb "black" dt 2 lw 2 title "1/2"
