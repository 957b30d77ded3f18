#!/bin/sh
# One line of a job list per Slurm array task.  From the top of the source
# tree, on a file system the nodes share:
#
#   make all && make jobs SCALE=full >jobs.txt
#   sbatch --array=1-$(wc -l <jobs.txt)%64 share/experiments/slurm.sh jobs.txt
#   make full               # after the array has finished: only reduces
#
# Arrays are capped (MaxArraySize, often 1001): submit the rest with an
# offset, e.g. --array=1-167 --export=ALL,OFFSET=1000 for lines 1001-1167.
# Every line writes one file under results/ and fixes its own seeds, so the
# order and the placement of the tasks do not matter; a failed task leaves
# no file, and a rerun of make (or of the array) redoes only what is missing.
#SBATCH --job-name=ccmc-experiments
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=slurm-%A_%a.out
set -eu
list=${1:-jobs.txt}
n=$((SLURM_ARRAY_TASK_ID + ${OFFSET:-0}))
line=$(sed -n "${n}p" "$list")
if [ -z "$line" ]; then
	echo "slurm.sh: $list: no line $n" >&2
	exit 1
fi
exec sh -c "$line"
