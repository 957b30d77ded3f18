# E5: per-entry error of the learned ratios at four trajectory lengths
# (first seed); blank: nothing learned (the token never appeared there).
load "share/plot/common.gp"
Ts = line("names.dat", 2)
info = line("names.dat", 4)
set multiplot layout 2,2 title sprintf("E5: |error| of each learned ratio P_{ij} / sum_{l in context} P_{il}, one trajectory (seed %s); blank = never learned", word(info, 1))
unset key
unset grid
set size ratio -1
set xrange [-0.5:7.5]; set yrange [7.5:-0.5]
set xtics 1 out; set ytics 1 out font ",8"
eval "set ytics ".line("names.dat", 3)
set logscale cb
set cbrange [1e-4:1]
set format cb "10^{%L}"
set palette defined (0 "#1a9850", 0.5 "#fee08b", 1 "#d73027")
set xlabel "next token j"
set object 1 rectangle from graph 0,0 to graph 1,1 behind fillcolor rgb "#eeeeee" fillstyle solid noborder
do for [k=1:words(Ts)] {
	set title "T = ".word(Ts, k)
	plot dir."entries.dat" index k-1 using 1:2:3 with image
}
unset multiplot
