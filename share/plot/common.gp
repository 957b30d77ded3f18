# Loaded by every figure script: a PNG terminal (cairo when this gnuplot
# has it), the output file `out` given by make, and a common look.
# The scripts read their data from the directory `dir`.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
	set terminal pngcairo size 1000,640 enhanced font "sans,11" linewidth 1.5
} else {
	set terminal png size 1000,640 enhanced font "sans,11" linewidth 1.5
}
set output out
set grid lc rgb "#dddddd"
set key box opaque
set style data points
# read a word list written by a reducer: line n of FILE in dir
line(file, n) = system(sprintf("sed -n %dp '%s%s'", n, dir, file))
