# E3: which entries the data identify, uniform against blocks prompts.
load "share/plot/common.gp"
par = line("names.dat", 1)
K = word(par, 1) + 0
set multiplot layout 1,2 title sprintf("E3: what %s samples identify (K = %d; rows: query token i, columns: next token j)", word(par, 3), K)
set palette defined (0 "#d73027", 1 "#fee08b", 2 "#1a9850")
set cbrange [-0.5:2.5]
unset colorbox
unset key
set label 1 "green: P_{ij} identified     yellow: only P_{ij} / (sum of row i over its block)     red: nothing (printed as null)" at screen 0.5, 0.04 center
set bmargin 5
set xrange [-0.5:K-0.5]; set yrange [K-0.5:-0.5]
set size ratio -1
set xlabel "next token j"; set ylabel "query token i"
set xtics 1 out; set ytics 1 out
unset grid
set title "uniform prompts"
plot dir."identified.dat" index 0 using 1:2:3 with image notitle
set title sprintf("blocks:%s prompts", word(par, 2))
plot dir."identified.dat" index 1 using 1:2:3 with image notitle
unset multiplot
