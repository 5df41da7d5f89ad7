#!/usr/bin/env bash
# Times meshops' geometry core against the peers of ../shared/peers on the
# same files in one run (whole command against whole command, median of
# hyperfine runs; peak RSS from /usr/bin/time). Writes a Markdown table.
#
#   bench/compare-geometry.sh [OUTDIR]      (needs: hyperfine admesh assimp-utils)
#
# Install the peers first: apt-get install -y admesh assimp-utils hyperfine
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${MESHOPS_CORPUS:-../shared/corpus}
out=${1:-/tmp/meshops-bench}
mkdir -p "$out"
for tool in hyperfine admesh assimp; do
  command -v $tool >/dev/null || { echo "missing $tool: apt-get install -y hyperfine admesh assimp-utils" >&2; exit 2; }
done
go build -o "$out/meshbench" ./bench/meshbench
mb="$out/meshbench"

median() { # hyperfine JSON → median seconds
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"
}
rss() { # peak RSS in MB of one run
  /usr/bin/time -f %M "$@" >/dev/null 2>"$out/rss.txt" || true
  awk 'END { printf "%.0f", $1/1024 }' "$out/rss.txt"
}
row() { # label, command...
  local label=$1; shift
  hyperfine -N --style none --warmup 1 --runs ${RUNS:-3} --export-json "$out/h.json" -- "$*" >/dev/null 2>&1
  printf '| %s | %s s | %s MB |\n' "$label" "$(median "$out/h.json")" "$(rss "$@")"
}

echo "| command | median wall time | peak RSS |"
echo "|---|---|---|"
for f in prusa_extruder-body.stl 3dbenchy.stl igea_loop1.stl; do
  p="$corpus/$f"
  row "admesh $f" admesh "$p"
  row "meshops analyze $f" "$mb" analyze "$p"
  row "meshops analyze -intersections $f" "$mb" analyze -intersections "$p"
done
for ext in obj ply 3mf glb; do
  p="$corpus/igea_loop1.stl"
  case $ext in obj) af=obj;; ply) af=plyb;; 3mf) af=3mf;; glb) af=glb2;; esac
  row "assimp export igea_loop1.stl → $ext" assimp export "$p" "$out/a.$ext" -f$af
  row "meshops export igea_loop1.stl → $ext" "$mb" export "$p" "$out/m.$ext"
done
