#!/usr/bin/env bash
# Three-seed ablations of the `tiny` design at one reduced budget (the findings appendix, "Ablations").
# Every row trains stage 2 (transformer + TSG/CAC/TOC) for $STEPS steps and stage 3 (fidelity path + decoder on the
# transformer's own tokens) for $FID steps, from the same stage-0 prior and stage-1 tokenizer ($BASE), with seeds
# $SEEDS (the seed sets the transformer's initialisation, the pair pool and the batch order). $JOBS runs at a time.
# The data are those of notebook 01's `edge_crops` and `black_clip` options ($DATA_SET), for every row alike.
#   BASE=runs/final bash scripts/ablations.sh            # then scripts/ablations.sh eval
# The perceptual design (stage 2 alone, on the bundled run's prior, tokenizer and stage-1b decoder):
#   BASE=runs/t2 OUT=runs/abl_p STEPS=150 FID=0 JOBS=1 DATA=thermal DATA_SET="" bash scripts/ablations.sh
#   OUT=runs/abl_p EVAL_OUT=results/eval_ablation_perceptual EVAL_ARGS="" bash scripts/ablations.sh eval   # and table
# BASE is the --out folder of a `realiisr-lite train --config tiny` run that finished stages 0 and 1
# (prior.safetensors, vqvae.safetensors); the train command reuses them when they are in its --out folder.
set -euo pipefail
BASE=${BASE:-runs/final}; OUT=${OUT:-runs/abl3}; STEPS=${STEPS:-50}; FID=${FID:-25}; SEEDS=${SEEDS:-"0 1 2"}; JOBS=${JOBS:-2}
DATA=${DATA:-tno+synthetic}    # the perceptual design: DATA=thermal DATA_SET="" (and FID=0: stage 2 alone)
BIN=${BIN:-$(dirname "$0")/../.venv/bin}
DATA_SET=${DATA_SET-"train.edge_crops=true train.black_clip=0,10"}
declare -A ROWS=([full]="" [no_tsg]="use_tsg=false" [no_cac]="use_cac=false" [no_toc]="use_toc=false")
ORDER="full no_tsg no_cac no_toc"
EVAL_OUT=${EVAL_OUT:-$OUT/eval}
if [[ "${1:-train}" == eval ]]; then             # one report: bicubic, the twin, every run as is, with w = 0, with neutral tokens
    args=()
    for s in $SEEDS; do for r in $ORDER; do args+=(--model "$r @$s=$OUT/${r}_s${s}/model"); done; done
    exec "$BIN/realiisr-lite" eval --data tno --crop ${CROP:-256} "${args[@]}" ${EVAL_ARGS---neutral --fidelity 1,0} \
        --regression "regression twin=${TWIN:-realiisr_lite/weights/tiny/regression.safetensors}" --out "$EVAL_OUT"
fi
if [[ "${1:-train}" == table ]]; then            # mean ± std over seeds of every row of that report (seeds.md, chart.png)
    exec "$BIN/python" - "$EVAL_OUT" <<'PY'
import json, sys
from pathlib import Path
from realiisr_lite.evaluate import EvalReport, seed_summary
out = Path(sys.argv[1]); d = json.loads((out/'report.json').read_text())
cols = tuple(c for c in ('psnr', 'ssim', 'lpips', 'dists', 'sharpness', 'order_violation', 'hotspot_px') if c in d['rows'][0])
t = seed_summary(EvalReport(d['rows'], d.get('title', '')), columns=cols)
(out/'seeds.md').write_text(t + '\n'); print(t)
import matplotlib; matplotlib.use('Agg')
from realiisr_lite.evaluate import ablation_chart
ablation_chart(EvalReport(d['rows']), path=out/'chart.png', seed_sep=' @')     # mean ± std bars
PY
fi
for f in prior.safetensors vqvae.safetensors; do [[ -f "$BASE/$f" ]] || { echo "missing $BASE/$f (stages 0-1 of a tiny run)" >&2; exit 2; }; done
jobs_list=()
for s in $SEEDS; do for r in $ORDER; do jobs_list+=("$r $s"); done; done
run_one() {
    local r=$1 s=$2 d="$OUT/${1}_s${2}"
    [[ -f "$d/done" ]] && return 0                # finished earlier (the train command would also resume it)
    mkdir -p "$d"; cp -n "$BASE/prior.safetensors" "$BASE/vqvae.safetensors" "$d/"
    OMP_NUM_THREADS=1 "$BIN/realiisr-lite" train --config tiny --data "$DATA" --out "$d" --val-every 1000000 --ckpt-every 1000 \
        --set train.steps=$STEPS train.fid_steps=$FID train.warmup=10 train.seed=$s $DATA_SET ${ROWS[$r]} > "$d/train.log" 2>&1
    touch "$d/done"; echo "$r seed $s: $(date +%T)"
}
for job in "${jobs_list[@]}"; do
    while (( $(jobs -rp | wc -l) >= JOBS )); do sleep 5; done
    run_one $job &
done
wait
