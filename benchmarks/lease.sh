#!/usr/bin/env bash
# Reader training on a lent GPU. First, here (about 15 minutes on 2 cores; each step skipped once done):
#
#   bash benchmarks/lease.sh prepare     # .gpu/: the training data, a dev sample, MPNet in pieces, wheels
#   bash benchmarks/lease.sh calls       # what each call carries: the pieces go one call at a time
#
# then on the device machine, from the repository root, carrying what `calls` says (the last call runs it):
#
#   bash benchmarks/lease.sh teacher MINUTES MINUTES [SEED]  # an MPNet teacher, then models/reader distilled from it
#   bash benchmarks/lease.sh train MINUTES SEED [SEED ...]   # a run per seed from models/reader, side by side
#   bash benchmarks/lease.sh fetch SEED                      # that run's export again (the machine still warm)
#   bash benchmarks/lease.sh teacher-pieces K                # after `teacher`: the teacher itself, part K (1, 2)
#
# .gpu/ (ignored by git; GPU_DIR names another) holds data.jsonl.gz, the training paragraphs (the model card,
# models/reader/README.md, says how they are made), dev/ (2,000 SQuAD v1.1 dev questions with their paragraphs),
# mpnet/ (all-mpnet-base-v2 as int8 pieces, benchmarks/mpnet.py) and wheels of what the device image lacks or has
# too old (tokenizers >= 0.23.3).
# TRAIN_ARGS adds or overrides `qa reader train` options (TEACHER_ARGS, the teacher's); PY is the Python, RUNS
# where the runs are kept, DEVICE where they train (cuda), STUDENT the base the student starts from (models/reader).
# `train` and `teacher` end by putting the (first) student's fp16 export under $OUT/SEED in pieces under 16 MiB
# (what comes back from a lease), with the runs' log tails in $OUT/logs.txt. Here, join them:
#   cat DIR/model.safetensors.part-* > DIR/model.safetensors && rm DIR/model.safetensors.part-*
set -euo pipefail
if [ "${1:-}" = prepare ]; then  # on this machine: the data file and wheels, with the project's own Python
    PY=${PY:-.venv/bin/python}
    GPU_DIR=${GPU_DIR:-.gpu}
    PARTS=${PARTS:-index/bench/gpu-data}  # the files it merges (not carried: the carry limit is 64 MiB)
    mkdir -p "$GPU_DIR" "$PARTS"
    [ -f "$PARTS/tune.jsonl.gz" ] || $PY -m benchmarks.tuning --out "$PARTS/tune.jsonl.gz" --train-questions 0
    [ -f "$PARTS/adv.jsonl.gz" ] || $PY -m benchmarks.unanswerable --kinds antonym,negation --out "$PARTS/adv.jsonl.gz"
    if [ ! -f "$PARTS/hard20k.jsonl.gz" ]; then  # retrieved no-answer passages need the train-article index
        [ -f index/bench/build-onnx-int8/manifest.json ] ||
            $PY -m benchmarks.build --modes onnx-int8 --sample 0 --out "$PARTS"  # (its results stay out of git)
        $PY -m benchmarks.negatives --out "$PARTS/hard20k.jsonl.gz" --questions 20000 --seed 1
    fi
    train=$($PY -c 'from benchmarks.squad import TRAIN, require; require(TRAIN); print(TRAIN)')
    $PY -m benchmarks.trainset --out "$GPU_DIR/data.jsonl.gz" "$train" "$PARTS/tune.jsonl.gz" \
        "$PARTS/tune.jsonl.gz" "$PARTS/hard20k.jsonl.gz" "$PARTS/adv.jsonl.gz"
    [ -f "$GPU_DIR/dev/qa.jsonl" ] || $PY -m benchmarks.squad sample --out "$GPU_DIR/dev" --questions 2000
    if [ ! -f "$GPU_DIR/mpnet/index.json" ]; then
        mpnet=${MPNET:-$HOME/.cache/newsqa/all-mpnet-base-v2}
        $PY -m benchmarks.mpnet assemble --out "$mpnet"
        $PY -m benchmarks.mpnet pack "$mpnet" --out "$GPU_DIR/mpnet" --bits "${BITS:-8}"
    fi
    compgen -G "$GPU_DIR/tokenizers-0.23.3-*.whl" >/dev/null ||  # the device image has 0.23.2 (see the model card)
        $PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
            --platform manylinux_2_17_x86_64 -d "$GPU_DIR" tokenizers==0.23.3
    du -sh "$GPU_DIR"
    exit 0
fi
if [ "${1:-}" = calls ]; then  # on this machine: the carry list of each call, the pieces spread over them
    GPU_DIR=${GPU_DIR:-.gpu}
    exec "${PY:-.venv/bin/python}" -m benchmarks.carry "$GPU_DIR"
fi
PY=${PY:-python3}
RUNS=${RUNS:-/tmp/lease}
GPU_DIR=${GPU_DIR:-.gpu}
DEVICE=${DEVICE:-cuda}
mkdir -p "$RUNS/stub"
# training never searches an index, and the GPU image has no FAISS: an empty stand-in lets the CLI import
[ -f "$RUNS/stub/faiss.py" ] || echo '"""Stand-in for FAISS on a GPU image without it."""' >"$RUNS/stub/faiss.py"
if compgen -G "$GPU_DIR/*.whl" >/dev/null && [ ! -d "$RUNS/site" ]; then
    $PY -m pip install -q --no-index --no-deps --no-compile --target "$RUNS/site" "$GPU_DIR"/*.whl
fi
export PYTHONPATH="$RUNS/site:$RUNS/stub:$PWD" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1

fetch() {  # the export of run $1, split into pieces, under $OUT/$1
    mkdir -p "$OUT/$1"
    cp "$RUNS/export-$1"/{config,training}.json "$OUT/$1/"  # the tokenizer files stay as models/reader has them
    split -b 15M -d "$RUNS/export-$1/model.safetensors" "$OUT/$1/model.safetensors.part-"
}

logs() {  # the tail of each named run's log, into $OUT/logs.txt
    for run in "$@"; do
        { echo "== $run"; tr '\r' '\n' <"$RUNS/$run.log" | grep -v '^\s*$' | tail -n 8; } >>"$OUT/logs.txt"
    done
}

case "${1:-}" in
teacher)  # an MPNet-base teacher from the pieces, then the shipped reader distilled from it, one after the other
    seed=${4:-31}
    [ -d "$RUNS/mpnet" ] || $PY -m benchmarks.mpnet unpack "$GPU_DIR/mpnet" --out "$RUNS/mpnet"
    common=(--data "$GPU_DIR/data.jsonl.gz" --dev "$GPU_DIR/dev" --dev-every 1000000 --dev-sample 2000
        --schedule time --max-length 384 --stride 128 --batch-size 64 --negatives 0.3 --cut-negatives 0.3
        --device "$DEVICE" --threads 2 --data-workers 12 --seed "$seed")
    # shellcheck disable=SC2086  # TEACHER_ARGS and TRAIN_ARGS are lists of options
    $PY -m qa reader train "${common[@]}" --out "$RUNS/teacher" --base "$RUNS/mpnet" --minutes "$2" --lr 5e-5 \
        ${TEACHER_ARGS:-} >"$RUNS/teacher.log" 2>&1 || { logs teacher; exit 1; }
    $PY -m qa reader export "$RUNS/teacher/checkpoint" --out "$RUNS/export-teacher"  # for `teacher-pieces`
    # shellcheck disable=SC2086
    $PY -m qa reader train "${common[@]}" --out "$RUNS/run-$seed" --base "${STUDENT:-models/reader}" \
        --teacher "$RUNS/teacher/checkpoint" --minutes "$3" --lr 3e-5 ${TRAIN_ARGS:-} >"$RUNS/run-$seed.log" 2>&1 ||
        { logs teacher "run-$seed"; exit 1; }
    logs teacher "run-$seed"
    $PY -m qa reader export "$RUNS/run-$seed/checkpoint" --out "$RUNS/export-$seed"
    fetch "$seed"
    ;;
train)
    minutes=$2
    shift 2
    pids=()
    for seed in "$@"; do
        # shellcheck disable=SC2086  # TRAIN_ARGS is a list of options
        $PY -m qa reader train --data "$GPU_DIR/data.jsonl.gz" --out "$RUNS/run-$seed" --base models/reader \
            --schedule time --minutes "$minutes" --max-length 384 --stride 128 --batch-size 64 --lr 3e-5 \
            --negatives 0.3 --cut-negatives 0.3 --freeze-embeddings --device "$DEVICE" --threads 2 \
            --data-workers $((12 / $#)) --seed "$seed" ${TRAIN_ARGS:-} >"$RUNS/run-$seed.log" 2>&1 &
        pids+=($!)
    done
    status=0
    for pid in "${pids[@]}"; do wait "$pid" || status=1; done
    for seed in "$@"; do
        logs "run-$seed"
        [ $status = 0 ] && $PY -m qa reader export "$RUNS/run-$seed/checkpoint" --out "$RUNS/export-$seed"
    done
    [ $status = 0 ] && fetch "$1"
    exit $status
    ;;
teacher-pieces)  # part $2 (1, 2, ...) of the teacher itself, packed once: 6 pieces a call (8 files may come back)
    packed="$RUNS/teacher-packed"
    [ -f "$packed/index.json" ] ||
        $PY -m benchmarks.mpnet pack "$RUNS/export-teacher" --out "$packed" --bits 8 --block 0 >/dev/null
    mkdir -p "$OUT/teacher"
    [ "$2" = 1 ] && cp "$packed"/{index,config}.json "$OUT/teacher/"
    find "$packed" -name 'piece-*.xz' | sort | sed -n "$((6 * $2 - 5)),$((6 * $2))p" | xargs -r cp -t "$OUT/teacher/"
    ls "$OUT/teacher"
    ;;
fetch) fetch "$2" ;;
*)
    echo "usage: bash benchmarks/lease.sh prepare | calls | teacher MINUTES MINUTES [SEED] | teacher-pieces K | train MINUTES SEED [SEED ...] | fetch SEED" >&2
    exit 2
    ;;
esac
