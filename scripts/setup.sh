#!/usr/bin/env bash
# Installs whatever the viewer, the site server and the local IVS need, skipping what is already present.
# Safe to run repeatedly; a fresh machine takes about fifteen minutes (two cores).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130
TRUNK_VERSION=0.21.14
WASM_SPLIT_VERSION=0.2.4
GECKODRIVER_VERSION=0.37.1

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
# Firefox ESR: the end-to-end tests run the core journeys in Gecko as well as Chromium.
command -v firefox-esr >/dev/null || need_apt+=(firefox-esr)
# The production-mode test: Caddy (the reverse proxy docs/deploy.md shows) and openssl (test CAs).
command -v caddy >/dev/null || need_apt+=(caddy)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v curl >/dev/null || need_apt+=(curl)
# The quick starts' Python examples run in a virtual environment of their own (.venv).
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
# WebKitGTK (the engine Safari is built on) and a virtual display for it: one journey runs there.
command -v WebKitWebDriver >/dev/null || need_apt+=(webkit2gtk-driver)
command -v Xvfb >/dev/null || need_apt+=(xvfb)
# WebKitGTK decodes H.264 through GStreamer's libav plugin; without it the player never reaches Playing.
dpkg-query -W -f='${Status}' gstreamer1.0-libav 2>/dev/null | grep -q 'ok installed' || need_apt+=(gstreamer1.0-libav)
# Debian's packages download and unpack while cargo compiles the tools below (one waits on the
# network and the disk, the other on the CPU); a failure is reported with apt's own words.
apt_pid=""
apt_log=$(mktemp)
if ((${#need_apt[@]})); then
  say "installing Debian packages in the background: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  ( $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" ) \
    >"$apt_log" 2>&1 &
  apt_pid=$!
fi
wait_apt() {
  [ -n "$apt_pid" ] || return 0
  if ! wait "$apt_pid"; then cat "$apt_log" >&2; say "apt-get failed"; exit 1; fi
  apt_pid=""
  say "Debian packages installed"
}

# npm's packages and the quick starts' Python packages also install beside the compiles, once what runs
# them is there (on a machine without Node or python3-venv, after apt has put them in).
side_jobs=()
side_log=$(mktemp)
side() {
  local name=$1; shift
  "$@" >"$side_log.$name" 2>&1 &
  side_jobs+=("$name $!")
}
npm_packages() {
  npm ci --no-audit --no-fund --loglevel=error
}
# boto3 and the AWS CLI, pinned: docs/quickstart.md's Python and shell examples (tested).
PY_PACKAGES=(boto3==1.44.8 awscli==1.46.3)
python_packages() {
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
}
npm_needed=false python_needed=false
if [ ! -d node_modules/amazon-ivs-player ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm_needed=true
fi
if ! .venv/bin/python -c 'import boto3, awscli' 2>/dev/null \
   || [ "$(.venv/bin/pip freeze 2>/dev/null | grep -cxE 'boto3==1.44.8|awscli==1.46.3')" != 2 ]; then
  python_needed=true
fi
if $npm_needed && command -v npm >/dev/null; then
  say "installing npm packages in the background"
  side npm npm_packages
  npm_needed=false
fi
if $python_needed && python3 -c 'import venv, ensurepip' 2>/dev/null; then
  say "installing ${PY_PACKAGES[*]} into .venv in the background"
  side python python_packages
  python_needed=false
fi

# The tools are built for a quick install, not for speed of their own (each runs for seconds per
# build): light optimisation, no link-time optimisation, parallel code generation, whatever their
# manifests ask (trunk's asks for fat LTO and one code unit: 417 s to install on two cores, 335 s so).
export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # --locked fails for this version: one locked dependency is no longer on the registry.
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (a few minutes)"
  cargo install -q trunk --version "$TRUNK_VERSION" --locked --force
fi

# (wasm-split-cli prints no version: ask cargo which one it installed.)
if ! command -v wasm-split-cli >/dev/null || ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "installing wasm-split-cli $WASM_SPLIT_VERSION (about a minute)"
  # Splits the viewer's lazily fetched parts into files of their own (scripts/finish-wasm.sh).
  cargo install -q wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked --force
fi

WASM_PACK_VERSION=0.13.1
if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
  say "installing wasm-pack $WASM_PACK_VERSION (builds the npm package <ivs-viewer>; a few minutes)"
  cargo install -q wasm-pack --version "$WASM_PACK_VERSION" --locked --force
fi

if [ "$(geckodriver --version 2>/dev/null | head -1 | awk '{print $2}')" != "$GECKODRIVER_VERSION" ]; then
  say "installing geckodriver $GECKODRIVER_VERSION (Firefox's WebDriver; a few minutes)"
  cargo install -q geckodriver --version "$GECKODRIVER_VERSION" --locked --force
fi

wait_apt
if $npm_needed; then say "installing npm packages"; npm_packages; fi
if $python_needed; then say "installing ${PY_PACKAGES[*]} into .venv"; python_packages; fi
for job in "${side_jobs[@]}"; do
  name=${job%% *} pid=${job#* }
  if ! wait "$pid"; then cat "$side_log.$name" >&2; say "$name failed"; exit 1; fi
done
rm -f "$apt_log" "$side_log".*
say "tools ready"
