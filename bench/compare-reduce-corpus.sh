#!/usr/bin/env bash
# Reduces 13 closed and open corpus parts to 10 % of their triangles with
# meshops and with meshoptimizer (../shared/peers/decimate_meshopt.c) and
# measures both outputs the same way (bench/deviation: two-sided distance
# bracketed to 0.5 %, self-intersecting triangles), next to the input's
# own self-intersections. Quality only: compare-reduce.sh times the three
# parts of the issue. OBJ parts are converted to STL first.
#
#   bench/compare-reduce-corpus.sh [OUTDIR]
# Needs: apt-get install -y libmeshoptimizer-dev python3
#        PEERS_BIN=/tmp/peers-bin sh ../shared/peers/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${MESHOPS_CORPUS:-../shared/corpus}
peers=${PEERS_BIN:-/tmp/peers-bin}
out=${1:-/tmp/meshops-reduce-corpus}
mkdir -p "$out"
[ -x "$peers/decimate_meshopt" ] || { echo "build the peer first: PEERS_BIN=$peers sh ../shared/peers/build.sh" >&2; exit 2; }
go build -o "$out/meshops" ./cmd/meshops
go build -o "$out/deviation" ./bench/deviation
field() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(r'"$1"')'; }
show() { field '["triangles"], "%.4f" % r["deviationMm"], r["intersecting"]' | tr -d "(),'" | awk '{printf "%d tris, %s mm, %d intersecting", $1, $2, $3}'; }
echo "| part | input (intersecting) | meshoptimizer | meshops |"
echo "|---|---|---|---|"
for f in 1002_tray_bottom.stl 3dbenchy.stl adis16480.stl counter.unitsmm.stl nefertiti.obj ogre.obj prusa_extruder-body.stl \
  prusa_spool-holder.stl prusa_x-end-idler.stl stanford-bunny.obj voron_a_drive_frame_lower.stl voron_octopus_bracket_set.stl voron_thread_test_1_x1_rev1.stl; do
  p="$corpus/$f"
  if [ "${f##*.}" = obj ]; then
    "$out/meshops" run stl-conversion "$p" -o "$out/in.stl" >/dev/null
    p="$out/in.stl"
  fi
  n=$("$out/meshops" run analyze "$p" | field '["result"]["report"]["triangles"]')
  "$peers/decimate_meshopt" "$p" "$out/mo.stl" --ratio 0.1 >/dev/null
  "$out/meshops" run reduce-triangles --accuracyMm 10 --maxAngle 90 --numberOfIterations 1000 --targetTriangles $((n / 10)) "$p" -o "$out/ms.stl" >/dev/null
  echo "| $f | $n ($("$out/deviation" "$p" "$p" | field '["intersecting"]')) | $("$out/deviation" "$p" "$out/mo.stl" | show) | $("$out/deviation" "$p" "$out/ms.stl" | show) |"
done
