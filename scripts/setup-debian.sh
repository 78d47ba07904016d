#!/usr/bin/env bash
# One-time set-up of a fresh Debian 12 machine for Tessera: system packages, then the npm dependencies.
# Safe to re-run: apt installs only what is missing, `npm ci` is skipped when node_modules matches the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# chromium: end-to-end tests of the UI; libopenslide0 + openslide-tools: the OpenSlide backend (vendor formats,
# and the reference our readers are tested against); libvips-tools: a second TIFF writer the reader tests read.
# TESSERA_WITH_TORCH=1 adds python3-torch(+vision), used only for PyTorch reference numbers in `npm run bench`.
PKGS=(chromium libopenslide0 openslide-tools libopenjp2-tools libvips-tools)
if [ "${TESSERA_WITH_TORCH:-0}" = "1" ]; then PKGS+=(python3-torch python3-torchvision python3-onnx libopenblas0-pthread); fi
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  for attempt in 1 2 3 4 5; do   # apt may be locked briefly by another process
    if $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then break; fi
    [ "$attempt" = 5 ] && exit 1
    sleep 10
  done
fi

# npm ci compiles better-sqlite3 for this Node (~2 min the first time); onnxruntime-node's CUDA download is
# skipped by .npmrc (onnxruntime-node-install=skip); @tensorflow/tfjs-node-gpu is optional and its binary download
# fails offline, which npm tolerates for optional dependencies.
stamp=node_modules/.tessera-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci
  echo "$want" > "$stamp"
fi
