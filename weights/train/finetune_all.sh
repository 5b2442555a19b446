#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fine-tunes every shipped QAT model at once for robust regeneration and a float twin that
# also grows (issue 16): each from its shipped weights, with the damages the tests use
# (--damage mixed: discs, halves, squares) and the float twin's loss added (--twin).
# One process per run, all in parallel (a GPU machine: one GPU, 16 cores), each stopped
# cleanly by --time-limit; the run folders go to RUNS (default build/runs/ft).
#
# usage: weights/train/finetune_all.sh [SECONDS [DEVICE [RUNS]]]
#   SECONDS  training time of each run (default 420)
#   DEVICE   cuda (default) or cpu; cpu runs each process on one thread
# then pick with weights/evaluate.py on seeds the tests do not use (docs/training.md).
set -u
SECS=${1:-420}
DEV=${2:-cuda}
RUNS=${3:-build/runs/ft}
PY=${PYTHON:-python3}
cd "$(dirname "$0")/../.." || exit 1
mkdir -p "$RUNS"
EMOJI=weights/train/targets
COMMON="--grid 64 --iters 4000 --lr-drop-at 1500 --ckpt-every 200 --log-every 50
        --device $DEV --time-limit $SECS"
[ "$DEV" = cpu ] && COMMON="$COMMON --threads 1"

# run experiment target init seed twin damage_n lr
while read -r run exp target init seed twin dn lr; do
    name=${run%-[abc]}
    # shellcheck disable=SC2086
    $PY weights/train.py --experiment "$exp" --target "$target" --init "$init" --seed "$seed" \
        --twin "$twin" --damage mixed --damage-n "$dn" --lr "$lr" --name "$name" --out "$RUNS/$run" \
        $COMMON > "$RUNS/$run.log" 2>&1 &
done <<EOF
regen-a            regen   weights/targets/lizard.png weights/regen.bin                    21 1.0 3 2e-4
regen-b            regen   weights/targets/lizard.png weights/regen.bin                    22 0.5 4 5e-4
regen-c            regen   weights/targets/lizard.png weights/distill/ex3-regen-lizard.bin 23 1.0 3 5e-4
regen-butterfly    regen   $EMOJI/butterfly.png       weights/regen-butterfly.bin          21 1.0 3 5e-4
regen-mushroom     regen   $EMOJI/mushroom.png        weights/regen-mushroom.bin           21 1.0 3 5e-4
regen-ladybug      regen   $EMOJI/ladybug.png         weights/regen-ladybug.bin            21 1.0 3 5e-4
grow               grow    weights/targets/lizard.png weights/grow.bin                     21 1.0 0 2e-4
persist            persist weights/targets/lizard.png weights/persist.bin                  21 1.0 0 2e-4
EOF
wait
for f in "$RUNS"/*.log; do
    echo "== $f"; grep -E "^iter|wrote|time limit|Error|error" "$f" | tail -3
done
