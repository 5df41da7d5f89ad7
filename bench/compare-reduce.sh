#!/usr/bin/env bash
# Reduces each file to 10 % of its triangles with meshops and with the
# meshoptimizer peer (../shared/peers/decimate_meshopt.c) in one run, times
# both whole commands (interleaved, bench/interleave), and measures both outputs the same way
# (bench/deviation: two-sided distance bracketed to 0.5 %, topology,
# self-intersections).
#
#   bench/compare-reduce.sh [OUTDIR]
# Needs: apt-get install -y libmeshoptimizer-dev python3
#        PEERS_BIN=/tmp/peers-bin sh ../shared/peers/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${MESHOPS_CORPUS:-../shared/corpus}
peers=${PEERS_BIN:-/tmp/peers-bin}
out=${1:-/tmp/meshops-reduce}
mkdir -p "$out"
[ -x "$peers/decimate_meshopt" ] || { echo "build the peer first: PEERS_BIN=$peers sh ../shared/peers/build.sh" >&2; exit 2; }
go build -o "$out/meshops" ./cmd/meshops
go build -o "$out/deviation" ./bench/deviation
median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
show() { python3 -c 'import json,sys; r=json.load(sys.stdin); print("%d tris, %.4f mm, %s, %d non-manifold, %d intersecting" % (r["triangles"], r["deviationMm"], "closed" if r["watertight"] else "open", r["nonManifoldEdges"], r["intersecting"]))'; }
echo "| file | meshopt time (RSS) | meshops time (RSS) | meshopt result | meshops result |"
echo "|---|---|---|---|---|"
for f in prusa_extruder-body.stl 3dbenchy.stl igea_loop1.stl; do
  p="$corpus/$f"
  n=$(python3 -c 'import struct,sys; f=open(sys.argv[1],"rb"); f.seek(80); print(struct.unpack("<I", f.read(4))[0]//10)' "$p")
  mo="$peers/decimate_meshopt $p $out/mo.stl --ratio 0.1"
  ms="$out/meshops run reduce-triangles --accuracyMm 10 --maxAngle 90 --numberOfIterations 1000 --targetTriangles $n $p -o $out/ms.stl"
  bench/interleave --runs ${RUNS:-3} --warmup 1 --export-json "$out/h.json" -- "$mo" "$ms"
  tm=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.3f %.3f" % (r[0]["median"], r[1]["median"]))' "$out/h.json")
  echo "| $f | ${tm% *} s ($(( $(rss $mo) / 1024 )) MB) | ${tm#* } s ($(( $(rss $ms) / 1024 )) MB) | $("$out/deviation" "$p" "$out/mo.stl" | show) | $("$out/deviation" "$p" "$out/ms.stl" | show) |"
done
