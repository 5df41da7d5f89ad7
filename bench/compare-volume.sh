#!/usr/bin/env bash
# Shrinkwrap and hollowing against their peers, in one run: CGAL alpha
# wrapping (../shared/peers/alphawrap_cgal.cpp, presets rough/smooth) and
# the OpenVDB level-set hollowing (hollow_openvdb.cpp, 2 mm wall, 0.5 mm
# voxels, our default voxel for that wall). Both whole commands are timed
# interleaved (bench/interleave), and both outputs are analysed by the same code
# (meshops run analyze): triangles, shells, closed, non-manifold edges,
# volume.
#
#   bench/compare-volume.sh [OUTDIR]
# Needs: apt-get install -y python3 libcgal-dev libgmp-dev libmpfr-dev libopenvdb-dev
#        PEERS_BIN=/tmp/peers-bin sh ../shared/peers/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${MESHOPS_CORPUS:-../shared/corpus}
peers=${PEERS_BIN:-/tmp/peers-bin}
out=${1:-/tmp/meshops-volume}
mkdir -p "$out"
go build -o "$out/meshops" ./cmd/meshops
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
show() {
  "$out/meshops" run analyze "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]["report"]; print("%d tris, %d shells, %s, %d non-manifold, %.0f mm³" % (r["triangles"], r["shells"], "closed" if r["watertight"] else "open", r["nonManifoldEdges"], r["volumeMm3"]))'
}
time2() {
  bench/interleave --runs ${RUNS:-3} --warmup 1 --export-json "$out/h.json" -- "$1" "$2"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.3f %.3f" % (r[0]["median"], r[1]["median"]))' "$out/h.json"
}
files="prusa_extruder-body.stl 3dbenchy.stl igea_loop1.stl"
if [ -x "$peers/alphawrap_cgal" ]; then
  echo "| file | preset (CGAL / meshops) | CGAL time (RSS) | meshops time (RSS) | CGAL result | meshops result |"
  echo "|---|---|---|---|---|---|"
  for f in $files; do
    for pr in rough:Rough smooth:Smooth; do
      p="$corpus/$f"
      cg="$peers/alphawrap_cgal $p $out/cg.stl --preset ${pr%:*}"
      ms="$out/meshops run shrinkwrap-repair --accuracy ${pr#*:} $p -o $out/ms.stl"
      tm=$(time2 "$cg" "$ms")
      echo "| $f | ${pr%:*} / ${pr#*:} | ${tm% *} s ($(( $(rss $cg) / 1024 )) MB) | ${tm#* } s ($(( $(rss $ms) / 1024 )) MB) | $(show $out/cg.stl) | $(show $out/ms.stl) |"
    done
  done
else
  echo "alphawrap_cgal not built: skipping shrinkwrap" >&2
fi
echo
if [ -x "$peers/hollow_openvdb" ]; then
  echo "| file | OpenVDB time (RSS) | meshops time (RSS) | OpenVDB result | meshops result |"
  echo "|---|---|---|---|---|"
  for f in $files; do
    p="$corpus/$f"
    vdb="$peers/hollow_openvdb $p $out/vdb.stl --thickness 2 --voxel 0.5"
    ms="$out/meshops run hollowing --wallThicknessMm 2 $p -o $out/ms.stl"
    tm=$(time2 "$vdb" "$ms")
    echo "| $f | ${tm% *} s ($(( $(rss $vdb) / 1024 )) MB) | ${tm#* } s ($(( $(rss $ms) / 1024 )) MB) | $(show $out/vdb.stl) | $(show $out/ms.stl) |"
  done
else
  echo "hollow_openvdb not built: skipping hollowing" >&2
fi
