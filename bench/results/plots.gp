# Made by uslab-bench: gnuplot plots.gp in this directory.
set datafile separator whitespace
set key outside right top
set grid ytics
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -35
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 1100,520 dynamic font "sans,11" } else { set terminal pngcairo size 1100,520 font "sans,10" }
  set termoption noenhanced
  set output "time.".fmt
  set title "Time relative to the best peer (1 = best of glibc, jemalloc, mimalloc, tcmalloc; lower is better)"
  set logscale y 2
  set ylabel "time / best peer"
  plot for [i=2:10] "time.dat" using i:xtic(1) title columnheader(i)
  unset logscale y
  set output "memory.".fmt
  set title "Memory: resident / ideal (live*, frag*); lower is better"
  set ylabel "resident / ideal"
  set logscale y 2
  plot for [i=2:10] "memory.dat" using i:xtic(1) title columnheader(i)
  unset logscale y
  set output "memory_mb.".fmt
  set title "Memory: MB above the baseline (threads64: 64 threads holding every kmalloc size); lower is better"
  set ylabel "MB"
  plot for [i=2:10] "memory_mb.dat" using i:xtic(1) title columnheader(i)
  set output "tcp_rr.".fmt
  set style data linespoints
  set title "tcp_rr-like on loopback: transactions per second by client threads (higher is better)"
  set ylabel "transactions/s"
  set xlabel "client threads"
  set xtics norotate
  plot for [i=2:10] "tcp_rr.dat" using 1:i title columnheader(i)
  unset xlabel
  set xtics rotate by -35
  set style data histogram
}
