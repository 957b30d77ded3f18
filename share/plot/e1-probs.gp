# E1: the next-token probabilities by the attention forward pass against
# the CCMC formula, on the same prompts: their signed difference (left;
# the probabilities themselves would all lie on y = x) and its absolute
# value on a log scale against the claim's 1e-12 (right).
load "share/plot/common.gp"
names = line("names.dat", 1)
set multiplot layout 1,2 title "E1: attention forward pass minus CCMC formula, per next-token probability (same prompts)"
set xlabel "p by the CCMC formula (P and position weights from attn-to-ccmc)"
set ylabel "p_{attention} - p_{CCMC}  (units of 10^{-16})"
set xrange [0:1]
set key top right font ",9"
plot for [i=1:words(names)] dir."probs.dat" index i-1 using 1:(($2 - $1) * 1e16) pt 7 ps 0.5 title word(names, i), \
	0 with lines lc rgb "black" dt 2 notitle
set yrange [1e-19:1e-9]
set logscale y
set format y "10^{%L}"
set xlabel "p by the CCMC formula"
set ylabel "|p_{attention} - p_{CCMC}|  (exact zeros drawn at 10^{-18})"
set key top right
plot for [i=1:words(names)] dir."probs.dat" index i-1 using 1:($3 > 0 ? $3 : 1e-18) pt 7 ps 0.5 title word(names, i), \
	1e-12 with lines lc rgb "red" dt 2 title "claim: <= 10^{-12}"
unset multiplot
