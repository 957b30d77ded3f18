# The power of traj-stats' classes (share/power/power.py), against the
# trajectory length T, per family, with the model's tests (solid) and
# model-free (dashed).  Left: the share decided collapsed (the Markov
# families must stay under the alpha line, the CCMC ones should rise);
# right: the share decided not collapsed (every token a decided winner).
load sprintf("%s/common.gp", system("dirname " . ARG0))

if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
	set terminal pngcairo size 1400,600 enhanced font "sans,11" linewidth 1.5
} else {
	set terminal png size 1400,600 enhanced font "sans,11" linewidth 1.5
}
set output out
set logscale x
set xlabel "trajectory length T (steps)"
set yrange [-0.02:1.02]
f = dir . "power.dat"
names = "markov-k8 markov-k32x4 markov-rare ccmc-forced ccmc-k8 ccmc-k32x4"
set multiplot layout 1,2 title "traj-stats: verdicts against T (alpha = 0.01; solid: with the model, dashed: model-free)"
set key bottom right font ",9"
set ylabel "share decided collapsed"
plot for [i=0:5] f index 2*i using 3:5 with linespoints lw 2 pt 7 lc i+1 title word(names, i+1), \
     for [i=0:5] f index 2*i+1 using 3:5 with linespoints dt 2 pt 6 lc i+1 notitle, \
     0.01 with lines lc rgb "black" dt 3 title "alpha"
set ylabel "share decided not collapsed"
set key top left
plot for [i=0:5] f index 2*i using 3:6 with linespoints lw 2 pt 7 lc i+1 title word(names, i+1), \
     for [i=0:5] f index 2*i+1 using 3:6 with linespoints dt 2 pt 6 lc i+1 notitle
unset multiplot
