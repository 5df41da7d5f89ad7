#!/usr/bin/env bash
# Times wall-thickness analysis against the CGAL ray-casting peer
# (../shared/peers/thickness_cgal.cpp, one inward ray per triangle) on the
# same files in one run (the commands interleaved round by round, by
# bench/interleave), and prints both tools' minimum thickness.
#
#   bench/compare-thickness.sh [OUTDIR]
# Needs the peer built: apt-get install -y libcgal-dev libgmp-dev libmpfr-dev libeigen3-dev python3
#                       PEERS_BIN=/tmp/peers-bin sh ../shared/peers/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${MESHOPS_CORPUS:-../shared/corpus}
peers=${PEERS_BIN:-/tmp/peers-bin}
out=${1:-/tmp/meshops-thickness}
mkdir -p "$out"
[ -x "$peers/thickness_cgal" ] || { echo "build the peer first: PEERS_BIN=$peers sh ../shared/peers/build.sh" >&2; exit 2; }
go build -o "$out/meshops" ./cmd/meshops
median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }
echo "| file | thickness_cgal | meshops Low | meshops Medium | meshops High | CGAL min / p5 | meshops Medium min |"
echo "|---|---|---|---|---|---|---|"
for f in prusa_extruder-body.stl 3dbenchy.stl igea_loop1.stl; do
  p="$corpus/$f"
  ms() { echo "$out/meshops run wall-thickness-analysis --minWallThicknessMm 0.8 --accuracy $1 $p -o $out/t-$1.ply"; }
  bench/interleave --runs ${RUNS:-5} --warmup 1 --export-json "$out/h.json" -- "$peers/thickness_cgal $p --min-wall 0.8" "$(ms Low)" "$(ms Medium)" "$(ms High)"
  cgal=$("$peers/thickness_cgal" "$p" --min-wall 0.8 2>&1 | tr '\n' ' ')
  row="| $f | $(median "$out/h.json" 0) s | $(median "$out/h.json" 1) s | $(median "$out/h.json" 2) s | $(median "$out/h.json" 3) s"
  mmin=$("$out/meshops" run wall-thickness-analysis --minWallThicknessMm 0.8 --accuracy Medium "$p" -o "$out/t.ply" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print("%.3f mm (thin %.2f %%)" % (r["minThicknessMm"], r["thinAreaPercent"]))')
  cmin=$(echo "$cgal" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("%.4f / %.3f mm (thin %.2f %%)" % (r["t_min"], r["t_p5"], 100*r["area_frac_below_min"]))')
  echo "$row | $cmin | $mmin |"
done
