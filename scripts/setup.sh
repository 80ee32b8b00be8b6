#!/usr/bin/env bash
# Sets clawtop up on a fresh Debian machine, as root: the toolchain packages it lacks,
# the npm dependencies, then the BPF object, its skeleton, the addon and the TypeScript.
# Idempotent: run it again after pulling, or to rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make g++ python3 tmux prometheus)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}): run this script as root, or with sudo" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # prometheus is here for promtool and for the test that scrapes clawtop with a server of its
  # own; the service the package starts where systemd runs is not wanted.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

npm ci --no-audit --no-fund
npm run --silent build
echo "setup: built build/bpf/clawtop.bpf.o, build/Release/clawtop.node and dist/"
