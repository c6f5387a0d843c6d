#!/usr/bin/env bash
# Submits a feedlab sweep to Slurm as SHARDS array tasks plus one merge job that starts when
# every shard has succeeded. Usage (from the feedlab checkout, feedlab on PATH or FEEDLAB=...):
#
#   SHARDS=16 OUT=results/prior deploy/slurm/submit.sh SCENARIO [sweep options...]
#
# for example
#
#   SHARDS=16 OUT=results/prior deploy/slurm/submit.sh scenarios/lessons/author_prior.ron \
#       --vary recommender.predicted_engagement.author_prior=0..1:11 \
#       --vary recommender.following_share=0..0.3:4 --seeds 8
#
# Results: $OUT/merged/sweep.csv (open it with `feedlab gui --sweep $OUT/merged/sweep.csv`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${SHARDS:=8}"
: "${OUT:=results/sweep}"
[ $# -ge 1 ] || { echo "usage: SHARDS=N OUT=DIR $0 SCENARIO [sweep options...]" >&2; exit 2; }
export SHARDS OUT SCENARIO="$1"
shift
export SWEEP_ARGS="$*"
sweep=$(sbatch --parsable --export=ALL --array="0-$((SHARDS - 1))" "$here/sweep.sbatch")
merge=$(sbatch --parsable --export=ALL --dependency="afterok:${sweep%%;*}" "$here/merge.sbatch")
echo "sweep: job array $sweep ($SHARDS shards into $OUT/shard-*); merge: job $merge into $OUT/merged"
