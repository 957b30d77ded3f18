# E6: mean share of the top token and mean entropy of the context along
# trajectories, for each recency bias G.
load "share/plot/common.gp"
Gs = line("names.dat", 1)
info = line("names.dat", 2)
set multiplot layout 1,2 title sprintf("E6 (ours): recency bias G (position weight exp(-G (L-t)/LMAX)); mean of %s trajectories per G, K = 8", word(info, 2))
set logscale x
set format x "10^{%L}"
set xrange [1:word(info, 1) + 0]
set xlabel "step t"
set ylabel "share of the most frequent token in the context"
set yrange [0:1]
set key top left
plot for [i=1:words(Gs)] dir."curves.dat" index i-1 using 1:2 with lines lw 2 lc i title "G = ".word(Gs, i)
set ylabel "entropy of the context's token distribution (nats)"
set yrange [0:*]
set key bottom left
plot for [i=1:words(Gs)] dir."curves.dat" index i-1 using 1:3 with lines lw 2 lc i title "G = ".word(Gs, i)
unset multiplot
