#!/usr/bin/env bash
# One-time set-up of a fresh Debian 12 machine for Tessera: system packages, then the npm dependencies.
# Safe to re-run: apt installs only what is missing, `npm ci` is skipped when node_modules matches the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# chromium: end-to-end tests of the UI; libopenslide0 + openslide-tools: the OpenSlide backend (vendor formats,
# and the reference our readers are tested against); libvips-tools: a second TIFF writer the reader tests read.
# slurm-wlm + munge: the cluster test runs its own throwaway single-node SLURM (tests/helpers/slurm.ts: its own
# munged, slurmctld and slurmd in a temp folder), never the system's daemons.
# TESSERA_WITH_TORCH=1 adds python3-torch(+vision), used only for PyTorch reference numbers in `npm run bench`.
# libdnnl-dev + g++: the optional native oneDNN kernels (native/dnnl, built at the end; a failed build is reported, not fatal).
PKGS=(chromium libopenslide0 openslide-tools libopenjp2-tools libvips-tools libdnnl-dev g++ slurm-wlm munge)
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

# Mesa lavapipe (software Vulkan) from bookworm-backports: lets Dawn give tests/gpu and the webgpu parity tests a
# WebGPU adapter on a machine without a GPU (correctness only; automatic selection never picks it). Debian 12's own
# Mesa 22.3 is refused by Dawn ("shaderUniform*ArrayDynamicIndexing required"). The backports suite is added with
# the same mirror and key as the machine's own Debian source, and only mesa-vulkan-drivers is taken from it (apt
# pulls the libdrm it needs from there too); the rest of the Mesa/GL stack, which chromium uses, stays on bookworm.
# TESSERA_NO_LAVAPIPE=1 skips this.
lavapipe_ok() {
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25 && dpkg -s libvulkan1 >/dev/null 2>&1
}
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "${TESSERA_NO_LAVAPIPE:-0}" != "1" ] && ! lavapipe_ok; then
  if [ "$codename" != "bookworm" ]; then
    echo "setup-debian: not Debian 12 (bookworm): lavapipe from bookworm-backports not installed; webgpu tests will skip" >&2
  else
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      own=/etc/apt/sources.list.d/debian.sources
      if [ -f "$own" ]; then   # deb822: the stanza whose Suites has plain "bookworm"
        uris=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |\n|$)/ {print; exit}' "$own" | sed -n 's/^URIs:[[:space:]]*//p')
        key=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |\n|$)/ {print; exit}' "$own" | sed -n 's/^Signed-By:[[:space:]]*//p')
      else                     # one-line format: first "deb ... bookworm main"
        uris=$(sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\) bookworm .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n1)
        key=""
      fi
      uris=${uris:-http://deb.debian.org/debian}
      key=${key:-/usr/share/keyrings/debian-archive-keyring.gpg}
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' "$uris" "$key" |
        $SUDO tee /etc/apt/sources.list.d/tessera-bookworm-backports.sources >/dev/null
    fi
    export DEBIAN_FRONTEND=noninteractive
    for attempt in 1 2 3 4 5; do
      if $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends mesa-vulkan-drivers/bookworm-backports libvulkan1; then break; fi
      [ "$attempt" = 5 ] && exit 1
      sleep 10
    done
  fi
fi

# npm ci compiles better-sqlite3 for this Node (~2 min the first time). Install scripts are listed one by one in
# package.json "allowScripts" (npm 11 warns about unlisted ones, npm 12 blocks them): better-sqlite3 (native build),
# esbuild (binary check), koffi (prebuilt binary pick), webgpu (macOS quarantine only), @tensorflow/tfjs-node-gpu
# (optional; its binary download fails offline, which npm tolerates for optional dependencies) run; core-js (a
# banner) and onnxruntime-node do not. onnxruntime-node's script only downloads the CUDA provider from NuGet: npm 11
# still runs denied scripts, so ONNXRUNTIME_NODE_INSTALL=skip (read by its script/install-utils.js) keeps it offline.
# With network and CUDA 12, `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`
# fetches the provider by hand.
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.tessera-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci
  echo "$want" > "$stamp"
fi

# Native CPU kernels (oneDNN convolutions for the wasm backend, ~5 s to build). Optional at run time: when this fails,
# Tessera uses the wasm shims and `tessera backend` says why.
if [ "${TESSERA_NATIVE_KERNELS:-1}" != "0" ]; then
  bash native/dnnl/build.sh || echo "setup: native kernels NOT built (see above); Tessera will use the wasm shims" >&2
fi
