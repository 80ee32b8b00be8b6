#!/usr/bin/env bash
# Sets clawtop up on a fresh Debian machine, as root: the toolchain packages it lacks,
# the npm dependencies, then the BPF object, its skeleton, the addon and the TypeScript.
# Idempotent: run it again after pulling, or to rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/packages.sh
source scripts/packages.sh
install_missing_packages clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make g++ python3 tmux prometheus
# prometheus is here for promtool and for the test that scrapes clawtop with a server of its
# own; the service the package starts where systemd runs is not wanted.
if [[ " ${newly_installed[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

npm ci --no-audit --no-fund
npm run --silent build
echo "setup: built build/bpf/clawtop.bpf.o, build/Release/clawtop.node and dist/"
