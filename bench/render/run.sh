#!/usr/bin/env bash
# bench/render: renders the shared promo scene (1080p, and a 720p copy) at each quality preset
# and, in the same run, times a bare libx264 encode of the same frames at the same size and
# settings (our output decoded to raw YUV first; only `ffmpeg -f rawvideo … -c:v libx264` is
# timed). Prints frames/s, the realtime factor, peak RSS and CPU time of both, and the ratios
# render time / bare-encode time (wall and CPU).
#
#   bash bench/render/run.sh [path/to/vidgen] [threads]
# VG_BENCH_ONLY="1080:standard" (sizes 1080/720, presets draft/standard/high, space-separated
# size:preset pairs) runs only those rows.
# Not a test: run it by hand, on a quiet machine if you can (the load average is printed; each
# figure is the best of VG_BENCH_REPEAT runs, default 3, since load only makes runs slower).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
vidgen=${1:-$root/build/release/src/app/vidgen}
threads=${2:-$(nproc)}
repeat=${VG_BENCH_REPEAT:-3}
scene=${VG_BENCH_SCENE:-$root/../shared/bench/promo-1080p.json}
only=${VG_BENCH_ONLY:-}
[ -x "$vidgen" ] || { echo "build vidgen first (cmake --preset release && cmake --build --preset release)"; exit 2; }
[ -f "$scene" ] || { echo "scene not found: $scene"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$(dirname "$scene")/assets" "$work/assets"

# Wall seconds, peak RSS (KiB) and CPU seconds (user + system) of a command, from GNU time:
# the run with the best wall time of $repeat.
measure() {
  local log=$work/time.log best="" best_wall=""
  for ((i = 0; i < repeat; i++)); do
    /usr/bin/time -f "%e %M %U %S" -o "$log" "$@" >/dev/null 2>"$work/cmd.err" || { cat "$work/cmd.err"; return 1; }
    local e m u s
    read -r e m u s < "$log"
    if [ -z "$best" ] || awk -v a="$e" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
      best_wall=$e
      best="$e $m $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
    fi
  done
  echo "$best"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), vidgen --threads $threads, best of $repeat"
printf '%-6s %-8s %6s | %8s %7s %8s %7s %7s | %8s %7s %7s %7s | %6s %6s\n' size preset frames \
  "render s" fps realtime "RSS MB" "CPU s" "x264 s" fps "RSS MB" "CPU s" ratio CPU
for size in 1080 720; do
  if [ "$size" = 1080 ]; then w=1920; h=1080; else w=1280; h=720; fi
  for quality in draft standard high; do
    if [ -n "$only" ] && [[ " $only " != *" $size:$quality "* ]]; then continue; fi
    case $quality in draft) preset=ultrafast; crf=28;; standard) preset=veryfast; crf=23;; high) preset=medium; crf=18;; esac
    node -e '
      const fs = require("fs"); const t = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      const [w, h, q] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
      const s = w / t.output.width;
      t.output.width = w; t.output.height = h; t.output.quality = q;
      // Scale every pixel value so the 720p copy is the same picture.
      const px = new Set(["x", "y", "width", "height", "fontSize", "radius", "maxWidth", "blur", "padding"]);
      const walk = (o) => { if (Array.isArray(o)) { o.forEach(walk); return; }
        if (o && typeof o === "object") { for (const [k, v] of Object.entries(o)) {
          if (px.has(k) && typeof v === "number") o[k] = v * s; else walk(v); }
          if (o.property && ["x", "y", "width", "height"].includes(o.property)) o.keyframes.forEach((k) => { if (typeof k.value === "number") k.value *= s; }); } };
      walk(t.tracks);
      fs.writeFileSync(process.argv[5], JSON.stringify(t));' "$scene" $w $h $quality "$work/scene.json"
    read -r rs rk rc < <(measure "$vidgen" render "$work/scene.json" -o "$work/out.mp4" --threads "$threads" --progress none)
    frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/out.mp4")
    ffmpeg -v error -y -i "$work/out.mp4" -f rawvideo -pix_fmt yuv420p "$work/frames.yuv"
    read -r xs xk xc < <(measure ffmpeg -v error -y -f rawvideo -pix_fmt yuv420p -s ${w}x${h} -r 30 -i "$work/frames.yuv" \
        -c:v libx264 -preset $preset -crf $crf -x264-params 8x8dct=1 -threads "$threads" -f mp4 "$work/bare.mp4")
    rm -f "$work/frames.yuv"
    awk -v size=${size}p -v q=$quality -v f=$frames -v rs=$rs -v rk=$rk -v rc=$rc -v xs=$xs -v xk=$xk -v xc=$xc 'BEGIN {
      printf "%-6s %-8s %6d | %8.2f %7.1f %7.1fx %7.0f %7.2f | %8.2f %7.1f %7.0f %7.2f | %6.2f %6.2f\n",
        size, q, f, rs, f/rs, f/rs/30, rk/1024, rc, xs, f/xs, xk/1024, xc, rs/xs, rc/xc }'
  done
done
echo "realtime = video seconds / render seconds; ratio = render wall / bare x264 wall; CPU = render CPU / bare x264 CPU (lower is better)"
