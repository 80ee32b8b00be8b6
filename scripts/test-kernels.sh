#!/usr/bin/env bash
# npm run test:kernels: the LSM hooks (lsm/file_open, lsm/socket_connect) and every monitor,
# proven on Debian's own kernels: this VM's kernel cannot load LSM or fentry programs.
# Each kernel of the matrix boots under QEMU (software emulation: KVM here is broken) from a
# busybox initramfs, with the host's root shared read-only over 9p, and runs
# test/vm/checks.ts against the built clawtop. One VM per kernel, all at once.
# Downloads are cached in build/kernels (git-ignored). Needs root (to install packages, and
# so QEMU can read every file of the shared root).
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT=$(pwd -P)
CACHE=$PROJECT/build/kernels
# What each VM may take, boot to power-off; QEMU can hang, so it is killed past this.
VM_TIMEOUT_SECONDS=${CLAWTOP_VM_TIMEOUT_SECONDS:-180}

# The matrix: a name, and the apt package whose dependency names the kernel's current ABI.
KERNELS=(
  "bookworm linux-image-amd64"
  "bookworm-backports linux-image-amd64/bookworm-backports"
)
# What the guest needs for its 9p root beyond what a kernel builds in (their dependencies
# follow: netfs, fscache, virtio, ...).
GUEST_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

say() { echo "test-kernels: $*"; }
die() {
  echo "test-kernels: $*" >&2
  exit 1
}

# shellcheck source=scripts/packages.sh
source scripts/packages.sh
install_missing_packages qemu-system-x86 busybox-static cpio xz-utils
[ -f build/Release/clawtop.node ] && [ -f dist/core/native.js ] || die "clawtop is not built: run scripts/setup.sh"

started_at=$(date +%s%N)
vm_pids=()
temporary=()
cleanup() {
  local pid
  for pid in "${vm_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "${temporary[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
elapsed_since() { awk -v from="$1" -v to="$(date +%s%N)" 'BEGIN { printf "%.1f", (to - from) / 1e9 }'; }

# A private apt state (sources, lists, cache): the host's apt configuration is not touched.
APT_ROOT=$CACHE/apt
mkdir -p "$APT_ROOT"/{etc/apt.conf.d,etc/preferences.d,lists/partial,cache/archives/partial} "$CACHE/debs"
cat >"$APT_ROOT/etc/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main
EOF
cat >"$APT_ROOT/apt.conf" <<EOF
Dir::Etc "$APT_ROOT/etc";
Dir::Etc::SourceList "$APT_ROOT/etc/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::Etc::Parts "$APT_ROOT/etc/apt.conf.d";
Dir::Etc::PreferencesParts "$APT_ROOT/etc/preferences.d";
Dir::State "$APT_ROOT";
Dir::State::Lists "$APT_ROOT/lists";
Dir::State::Status "/dev/null";
Dir::Cache "$APT_ROOT/cache";
APT::Architectures { "amd64"; };
Acquire::Languages "none";
APT::Sandbox::User "root";
EOF
private_apt() { APT_CONFIG=$APT_ROOT/apt.conf "$@"; }

# Lists older than a day are refreshed, so the matrix follows Debian's current kernels.
if [ -z "$(find "$APT_ROOT/updated" -mmin -1440 2>/dev/null)" ]; then
  say "updating the package lists of bookworm and bookworm-backports"
  if private_apt apt-get update -qq; then
    touch "$APT_ROOT/updated"
  elif [ -f "$APT_ROOT/updated" ]; then
    say "cannot update the package lists; using those of $(date -r "$APT_ROOT/updated")"
  else
    die "cannot fetch the package lists (no network to deb.debian.org?)"
  fi
fi

# The kernel package a metapackage depends on now, e.g. linux-image-6.1.0-56-amd64.
kernel_package_of() {
  private_apt apt-cache depends "$1" | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# The loadable modules a kernel tree needs for GUEST_MODULES, with their dependencies,
# decompressed (busybox cannot read .ko.xz), into $2/lib/modules/$3 with modules.dep;
# the GUEST_MODULES that are loadable, for the guest to modprobe, in $2/etc/clawtop-modules.
stage_modules() {
  local tree=$1 stage=$2 version=$3 module file target pattern
  local modules=$tree/lib/modules/$version
  local pending=("${GUEST_MODULES[@]}") seen=" "
  mkdir -p "$stage/etc" "$stage/lib/modules/$version"
  : >"$stage/etc/clawtop-modules"
  while [ "${#pending[@]}" -gt 0 ]; do
    module=${pending[0]}
    pending=("${pending[@]:1}")
    [[ $seen == *" $module "* ]] && continue
    seen+="$module "
    pattern=${module//[_-]/[_-]}
    file=$(find "$modules/kernel" -name "$pattern.ko" -o -name "$pattern.ko.xz" | head -n 1)
    if [ -z "$file" ]; then
      grep -q "/$pattern\.ko$" "$modules/modules.builtin" || die "$version has no module $module"
      continue
    fi
    target=$stage/lib/modules/$version/${file#"$modules/"}
    mkdir -p "$(dirname "$target")"
    case $file in
    *.xz) xz -dc "$file" >"${target%.xz}" ;;
    *) cp "$file" "$target" ;;
    esac
    [[ " ${GUEST_MODULES[*]} " == *" $module "* ]] && echo "$module" >>"$stage/etc/clawtop-modules"
    # .modinfo holds "depends=a,b" among NUL-terminated strings.
    for module in $(tr '\0' '\n' <"${target%.xz}" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
      pending+=("$module")
    done
  done
  busybox depmod -b "$stage" "$version"
}

# Per kernel: build/kernels/<package>/{vmlinuz,modules/}, from the .deb unpacked once.
prepare_kernel() {
  local package=$1 directory=$CACHE/$1 deb unpacked
  [ -f "$directory/ready" ] && return 0
  deb=$(find "$CACHE/debs" -maxdepth 1 -name "${package}_*.deb" | head -n 1)
  if [ -z "$deb" ]; then
    say "downloading $package"
    # Into partial/ first: an interrupted download never looks like a cached package.
    rm -rf "$CACHE/debs/partial"
    mkdir -p "$CACHE/debs/partial"
    (cd "$CACHE/debs/partial" && private_apt apt-get download -qq "$package") || die "cannot download $package"
    mv "$CACHE/debs/partial/${package}_"*.deb "$CACHE/debs/"
    rmdir "$CACHE/debs/partial"
    deb=$(find "$CACHE/debs" -maxdepth 1 -name "${package}_*.deb" | head -n 1)
  fi
  rm -rf "$directory"
  unpacked=$(mktemp -d "$CACHE/unpack.XXXXXX")
  temporary+=("$unpacked")
  dpkg -x "$deb" "$unpacked"
  mkdir -p "$directory"
  cp "$unpacked"/boot/vmlinuz-* "$directory/vmlinuz"
  stage_modules "$unpacked" "$directory/modules" "$(basename "$unpacked"/lib/modules/*)"
  rm -rf "$unpacked"
  touch "$directory/ready"
}

# The initramfs: busybox, test/vm/init.sh as /init, the kernel's modules.
make_initramfs() {
  local directory=$1 stage
  stage=$(mktemp -d "$CACHE/initramfs.XXXXXX")
  temporary+=("$stage")
  mkdir -p "$stage"/{bin,dev,proc,sys}
  cp /bin/busybox "$stage/bin/busybox"
  cp test/vm/init.sh "$stage/init"
  chmod 755 "$stage/init"
  cp -a "$directory/modules/." "$stage/"
  (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$directory/initramfs.cpio.gz"
  rm -rf "$stage"
}

names=()
packages=()
for entry in "${KERNELS[@]}"; do
  read -r name metapackage <<<"$entry"
  package=$(kernel_package_of "$metapackage")
  [ -n "$package" ] || die "$name: $metapackage depends on no linux-image package"
  prepare_kernel "$package"
  make_initramfs "$CACHE/$package"
  names+=("$name")
  packages+=("$package")
done
# Kernels that left the matrix (Debian moved to a new ABI) are not kept.
for directory in "$CACHE"/linux-image-*; do
  [ -d "$directory" ] || continue
  [[ " ${packages[*]} " == *" $(basename "$directory") "* ]] || rm -rf "$directory"
done
for deb in "$CACHE"/debs/*.deb; do
  [ -f "$deb" ] || continue
  [[ " ${packages[*]} " == *" $(basename "$deb" | cut -d_ -f1) "* ]] || rm -f "$deb"
done

node --import tsx scripts/build-vm-checks.ts >/dev/null
say "prepared in $(elapsed_since "$started_at") s; booting ${names[*]}"

rm -rf "$CACHE/logs"
mkdir -p "$CACHE/logs"

# One VM per kernel, all at once, each under a hard timeout: its serial console goes to
# logs/<name>.log. The timeouts are this shell's own children, so stopping it stops them.
declare -A index_of_pid
vm_started=()
for index in "${!names[@]}"; do
  vm_started[$index]=$(date +%s%N)
  timeout -k 10 "$VM_TIMEOUT_SECONDS" qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu max -m 512M -smp 1 -nographic -no-reboot -nic none \
    -kernel "$CACHE/${packages[$index]}/vmlinuz" -initrd "$CACHE/${packages[$index]}/initramfs.cpio.gz" \
    -append "console=ttyS0 quiet panic=-1 lsm=lockdown,capability,landlock,bpf clawtop.project=$PROJECT clawtop.checks=build/vm/test/vm/checks.js" \
    -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
    </dev/null >"$CACHE/logs/${names[$index]}.log" 2>&1 &
  vm_pids+=($!)
  index_of_pid[$!]=$index
done
vm_seconds=()
qemu_statuses=()
while [ "${#vm_pids[@]}" -gt 0 ]; do
  finished=
  status=0
  wait -n -p finished "${vm_pids[@]}" || status=$?
  index=${index_of_pid[$finished]}
  vm_seconds[$index]=$(elapsed_since "${vm_started[$index]}")
  qemu_statuses[$index]=$status
  remaining=()
  for pid in "${vm_pids[@]}"; do [ "$pid" = "$finished" ] || remaining+=("$pid"); done
  vm_pids=("${remaining[@]}")
done

# The failed checks of a TAP log, each with its error message: "<kernel>: not ok N - <check>".
failed_checks() {
  awk -v kernel="$1" '
    function indent(line) { return match(line, /[^ ]/) }
    { sub(/\r$/, "") }  # a serial console ends its lines with CR LF
    /^ *not ok / { check = $0; sub(/^ */, "", check); open = 1; message = ""; quoting = 0; parent = 0; next }
    !open { next }
    /failureType: .subtestsFailed./ { parent = 1 }
    quoting && (indent($0) > quoting || $0 ~ /^ *$/) { message = message "\n      " substr($0, quoting + 2); next }
    { quoting = 0 }
    /^ *error: / {
      value = $0; sub(/^ *error: /, "", value)
      if (value == "|-") quoting = indent($0); else message = message "\n      " value
      next
    }
    /^ *\.\.\.$/ { if (!parent) print "  " kernel ": " check message; open = 0 }
  ' "$2"
}

failed=0
for index in "${!names[@]}"; do
  name=${names[$index]}
  log=$CACHE/logs/$name.log
  label="$name (${packages[$index]#linux-image-})"
  seconds=${vm_seconds[$index]}
  qemu_status=${qemu_statuses[$index]}
  status=$(sed -n 's/^clawtop-vm-exit-status=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  if [ "$status" = 0 ]; then
    say "$label: passed, $(grep -cE '^ +ok ' "$log") checks, in $seconds s"
    continue
  fi
  failed=1
  if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
    say "$label: FAILED: the VM did not power off within $VM_TIMEOUT_SECONDS s"
  elif [ -z "$status" ]; then
    say "$label: FAILED: the VM stopped without an exit status (QEMU exit $qemu_status)"
  else
    say "$label: FAILED with exit status $status, in $seconds s"
  fi
  checks=$(failed_checks "$name" "$log")
  if [ -n "$checks" ]; then
    echo "$checks"
  else
    # Without the terminal resets of the firmware and the console's CRs.
    tail -n 30 "$log" | sed -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r$//' -e "s/^/  $name| /"
  fi
  say "$name's whole console: $log"
done
say "total $(elapsed_since "$started_at") s"
exit "$failed"
