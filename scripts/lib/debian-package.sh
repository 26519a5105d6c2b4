# Sourced by the set-up scripts that need one Debian package (never a download from elsewhere).
# ensure_debian_package BIN PACKAGE PURPOSE [apt-get options...]
#   Returns when BIN is executable; otherwise installs PACKAGE with apt-get as root, or exits 1
#   saying how to install it (PURPOSE says what needs it).
ensure_debian_package() {
  local bin="$1" package="$2" purpose="$3"
  shift 3
  [ -x "$bin" ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$bin not found; install Debian's $package package (apt-get install $package) for $purpose" >&2
    exit 1
  fi
  echo "Installing Debian's $package for $purpose..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" "$package" >&2
}
