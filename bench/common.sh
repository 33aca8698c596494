# Shared by the bench/*-compare.sh scripts (sourced, not run): build once outside the timing, give every side
# ./runner's OpenMP environment, and small helpers for JSON fields, medians and the load average.
"$ROOT/runner" doctor >/dev/null   # bootstrap + build once, outside the timing
# ./runner sets OMP_WAIT_POLICY=PASSIVE for itself; give the reference the same environment.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

field() { sed -E "s/.*\"$1\": ?([0-9.eE+-]+).*/\\1/"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
load() { cut -d' ' -f1 /proc/loadavg; }
