# E6: winner-set size and collapse against the recency bias G.
load "share/plot/common.gp"
info = line("names.dat", 2)
set title sprintf("E6 (ours): winners and collapse against the recency bias G (trajectories of %s steps; bars: standard errors)", word(info, 1))
set xlabel "recency bias G"
set ylabel "mean winner-set size (tokens)"
set y2label "share of trajectories"
set ytics nomirror
set y2tics
set y2range [0:1]
set yrange [0:*]
set xrange [-0.5:*]
# the key at the bottom left, where no curve runs (top right, it covered
# the collapsed share)
set key bottom left font ",10"
plot dir."winners.dat" using 1:2:3 with yerrorlines lc 1 pt 7 title "winners of the last window (>= 95% of it)", \
	dir."winners.dat" using 1:4:5 with yerrorlines lc 2 pt 5 title "growth winners", \
	dir."winners.dat" using 1:6 axes x1y2 with linespoints lc 3 pt 9 dt 2 title "collapsed (right axis)", \
	dir."winners.dat" using 1:7 axes x1y2 with linespoints lc 4 pt 11 dt 2 title "final top-1 share (right axis)"
