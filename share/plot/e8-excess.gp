# E8: excess held-out cross-entropy of the W-fit and the A-fit over the
# teacher against n, mean over seeds with min-max bars, per (K, d).
load "share/plot/common.gp"
names = line("names.dat", 1)
fit = line("names.dat", 2)
set title sprintf("E8 (ours): excess held-out cross-entropy against n (mean of %s seeds, %s fresh prompts; bars min to max)\nW-fit slope %s, 95%% interval %s; A-fit slope %s (claim: -1 +/- 0.2)", word(fit, 4), word(fit, 5), word(fit, 1), word(fit, 2), word(fit, 3))
set logscale xy
set format x "10^{%L}"; set format y "10^{%L}"
set xlabel "samples n"
set ylabel "excess cross-entropy (nats per sample)"
set key top right font ",10"
plot for [i=1:words(names)] dir."excess.dat" index i-1 using 3:4:5:6 with yerrorlines lc i pt (strstrt(word(names, i), "A,") ? 5 : 7) title word(names, i)
