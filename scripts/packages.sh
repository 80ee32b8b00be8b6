# Sourced by scripts/setup.sh and scripts/test-kernels.sh: installs the Debian packages of a
# list that are missing, as root, and leaves the names it installed in newly_installed.
install_missing_packages() {
  local package missing=()
  newly_installed=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "$(basename "$0"): missing Debian packages (${missing[*]}): run this script as root, or with sudo" >&2
    exit 1
  fi
  echo "$(basename "$0"): installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  newly_installed=("${missing[@]}")
}
