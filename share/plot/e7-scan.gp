# E7's scan (ours): held-out perplexity (left) and coverage (right) of the
# CCMC against its vocabulary, one line per window, with the bigram
# baselines (Kneser-Ney, add-k with k chosen on the dev part), which have
# no window, on the same held-out steps.
load "share/plot/common.gp"
windows = line("scan-windows.dat", 1)
set multiplot layout 1,2 title "E7 scan (ours): the same fits over vocabularies and windows, scored on the same held-out steps"
set logscale x
set xlabel "vocabulary V (most frequent training words, then <unk>)"
set title "perplexity on all held-out steps (across V not comparable:\n<unk> stands for more words at smaller V)"
set ylabel "held-out perplexity (lower is better)"
set key top left Left reverse font ",10"
plot for [i=1:words(windows)] dir."scan.dat" index i-1 using 1:3 with linespoints lc i pt 7 title "CCMC+unigram, window ".word(windows, i), \
	dir."scan.dat" index 0 using 1:4 with linespoints lc rgb "black" dt 2 pt 4 title "bigram Kneser-Ney", \
	dir."scan.dat" index 0 using 1:5 with linespoints lc rgb "#888888" dt 3 pt 6 title "bigram add-k (k best on dev)"
set title "share of held-out steps the CCMC covers"
set ylabel "coverage (next word in the window)"
set yrange [0:1]
set key bottom right
plot for [i=1:words(windows)] dir."scan.dat" index i-1 using 1:2 with linespoints lc i pt 7 title "window ".word(windows, i)
unset multiplot
