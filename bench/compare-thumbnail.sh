#!/usr/bin/env bash
# Times `meshops run thumbnail` (512×512 PNG) against f3d on the same files
# in one run, whole command against whole command, as BASELINE.md measured
# f3d: one Xvfb started first so its start-up is not counted against f3d.
# Also reports the peak RSS of a 10000×10000 render of igea_loop1.stl.
#
#   bench/compare-thumbnail.sh [OUTDIR]    (needs: apt-get install -y f3d xvfb hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${MESHOPS_CORPUS:-../shared/corpus}
out=${1:-/tmp/meshops-thumb}
mkdir -p "$out"
for tool in f3d Xvfb hyperfine; do
  command -v $tool >/dev/null || { echo "missing $tool: apt-get install -y f3d xvfb hyperfine" >&2; exit 2; }
done
go build -o "$out/meshops" ./cmd/meshops
Xvfb :98 -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb' EXIT
sleep 1
export DISPLAY=:98
median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
rss() { /usr/bin/time -f %M "$@" >/dev/null 2>"$out/rss.txt" || true; awk 'END { printf "%.0f", $1/1024 }' "$out/rss.txt"; }
echo "| file | f3d | meshops run thumbnail | speed-up | meshops peak RSS |"
echo "|---|---|---|---|---|"
for f in prusa_extruder-body.stl 3dbenchy.stl igea_loop1.stl; do
  p="$corpus/$f"
  hyperfine -N --style none --warmup 1 --runs ${RUNS:-3} --export-json "$out/f3d.json" -- \
    "f3d --output=$out/f3d.png --resolution=512,512 --up=+Z --camera-azimuth-angle=-35 --camera-elevation-angle=25 $p" >/dev/null 2>&1
  hyperfine -N --style none --warmup 1 --runs ${RUNS:-3} --export-json "$out/m.json" -- \
    "$out/meshops run thumbnail $p -o $out/m.png" >/dev/null 2>&1
  a=$(median "$out/f3d.json"); b=$(median "$out/m.json")
  printf '| %s | %s s | %s s | %.1f× | %s MB |\n' "$f" "$a" "$b" "$(python3 -c "print($a/$b)")" "$(rss "$out/meshops" run thumbnail "$p" -o "$out/m.png")"
done
start=$(date +%s.%N)
r=$(rss "$out/meshops" run thumbnail --width 10000 --height 10000 "$corpus/igea_loop1.stl" -o "$out/big.png")
printf '\n10000×10000 PNG of igea_loop1.stl: %.1f s, peak RSS %s MB, %s bytes\n' "$(python3 -c "print($(date +%s.%N)-$start)")" "$r" "$(stat -c%s "$out/big.png")"
