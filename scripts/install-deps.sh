#!/usr/bin/env bash
# Installs the Debian packages vidgen needs to build, run and test, when they are missing.
# Safe to run again: it only calls apt-get when something is absent. Needs root (or sudo).
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config git
  # libraries
  libcairo2-dev libpango1.0-dev librsvg2-dev libfontconfig-dev libfreetype-dev libharfbuzz-dev
  libavcodec-dev libavformat-dev libavutil-dev libswresample-dev libswscale-dev libyuv-dev
  libhiredis-dev nlohmann-json3-dev libsimdjson-dev libspdlog-dev libfmt-dev libcli11-dev librestinio-dev
  libasio-dev libhttp-parser-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libxml2-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev
  # runtime: the private queue server, probes and fonts (Noto with colour emoji, Arabic,
  # Hebrew and CJK fallbacks; DejaVu)
  redis-server ffmpeg
  fonts-noto-core fonts-noto-color-emoji fonts-noto-cjk fonts-dejavu-core fontconfig
  # test tools; wrk loads the servers in bench/api
  curl procps time wrk
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm drive the interop and end-to-end tests; any install that provides both
# commands will do (Debian's packages when neither is present).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi
