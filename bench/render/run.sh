#!/usr/bin/env bash
# bench/render: renders the shared promo scene (1080p, and a 720p copy) at each quality preset
# and, in the same run, times a bare libx264 encode of the same frames at the same size and
# settings (our output decoded to raw YUV first; only `ffmpeg -f rawvideo … -c:v libx264` is
# timed). Prints frames/s, the realtime factor, peak RSS of both and the ratio
# render time / bare-encode time.
#
#   bash bench/render/run.sh [path/to/vidgen] [threads]
# Not a test: run it by hand on a quiet machine (the load average is printed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
vidgen=${1:-$root/build/release/src/app/vidgen}
threads=${2:-$(nproc)}
scene=${VG_BENCH_SCENE:-$root/../shared/bench/promo-1080p.json}
[ -x "$vidgen" ] || { echo "build vidgen first (cmake --preset release && cmake --build --preset release)"; exit 2; }
[ -f "$scene" ] || { echo "scene not found: $scene"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$(dirname "$scene")/assets" "$work/assets"

# Peak RSS (KiB) and wall seconds of a command, from GNU time.
measure() {
  local log=$work/time.log
  /usr/bin/time -f "%e %M" -o "$log" "$@" >/dev/null 2>"$work/cmd.err" || { cat "$work/cmd.err"; return 1; }
  cat "$log"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), vidgen --threads $threads"
printf '%-6s %-8s %7s %9s %9s %8s %9s | %9s %9s %9s | %7s\n' size preset frames "render s" "fps" "realtime" "RSS MB" "x264 s" "fps" "RSS MB" ratio
for size in 1080 720; do
  if [ "$size" = 1080 ]; then w=1920; h=1080; else w=1280; h=720; fi
  for quality in draft standard high; do
    case $quality in draft) preset=ultrafast; crf=28;; standard) preset=veryfast; crf=23;; high) preset=medium; crf=18;; esac
    node -e '
      const fs = require("fs"); const t = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      const [w, h, q] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
      const s = w / t.output.width;
      t.output.width = w; t.output.height = h; t.output.quality = q;
      // Scale every pixel value so the 720p copy is the same picture.
      const px = new Set(["x", "y", "width", "height", "fontSize", "radius", "maxWidth", "blur", "padding"]);
      const walk = (o, inAnim) => { if (Array.isArray(o)) { o.forEach((v) => walk(v, inAnim)); return; }
        if (o && typeof o === "object") { for (const [k, v] of Object.entries(o)) {
          if (px.has(k) && typeof v === "number") o[k] = v * s; else walk(v, inAnim || k === "animations"); }
          if (o.property && ["x", "y", "width", "height"].includes(o.property)) o.keyframes.forEach((k) => { if (typeof k.value === "number") k.value *= s; }); } };
      walk(t.tracks, false);
      fs.writeFileSync(process.argv[5], JSON.stringify(t));' "$scene" $w $h $quality "$work/scene.json"
    read -r rs rk < <(measure "$vidgen" render "$work/scene.json" -o "$work/out.mp4" --threads "$threads" --progress none)
    frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/out.mp4")
    ffmpeg -v error -y -i "$work/out.mp4" -f rawvideo -pix_fmt yuv420p "$work/frames.yuv"
    read -r xs xk < <(measure ffmpeg -v error -y -f rawvideo -pix_fmt yuv420p -s ${w}x${h} -r 30 -i "$work/frames.yuv" \
        -c:v libx264 -preset $preset -crf $crf -x264-params 8x8dct=1 -threads "$threads" -f mp4 "$work/bare.mp4")
    rm -f "$work/frames.yuv"
    awk -v size=${size}p -v q=$quality -v f=$frames -v rs=$rs -v rk=$rk -v xs=$xs -v xk=$xk 'BEGIN {
      printf "%-6s %-8s %7d %9.2f %9.1f %7.1fx %9.0f | %9.2f %9.1f %9.0f | %7.2f\n", size, q, f, rs, f/rs, f/rs/30, rk/1024, xs, f/xs, xk/1024, rs/xs }'
  done
done
echo "realtime = video seconds / render seconds; ratio = render seconds / bare x264 seconds (lower is better)"
