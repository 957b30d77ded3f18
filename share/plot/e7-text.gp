# E7 (ours): held-out perplexities of the CCMC and its baselines on the
# same steps (left; the CCMC's perplexity on its covered steps alone is of
# other steps, so it is given apart, in words), and the repetition of
# their continuations of held-out prompts against the human ones (right).
load "share/plot/common.gp"
info = line("info.dat", 1)
set multiplot layout 1,2 title sprintf("E7 (ours): licence texts, K = %s words, window %s; %s continuations of %s words; held-out coverage %s", word(info, 1), word(info, 2), word(info, 4), word(info, 3), word(info, 5))
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.8
set title "perplexity on all held-out steps"
set ylabel "held-out perplexity (lower is better)"
set xtics rotate by -20
set key off
# room above the bars for the words
stats dir."perplexity.dat" using 2 nooutput
set yrange [0:STATS_max * 1.35]
set label 1 sprintf("not comparable, on other steps:\nthe CCMC on its covered steps only\n(%.0f%% of them): %s", 100 * word(info, 5), word(info, 6)) at graph 0.04, graph 0.95 left front font ",10"
plot dir."perplexity.dat" using 2:xtic(1) lc rgb "#4477aa"
unset label 1
set title "repetition of the continuations"
set ylabel "mean over continuations"
set yrange [0:1.05]
set key top left
plot dir."repetition.dat" using 2:xtic(1) title "human" lc rgb "#228833", \
	"" using 3 title "bigram chain" lc rgb "#4477aa", \
	"" using 4 title "CCMC" lc rgb "#ee6677"
unset multiplot
