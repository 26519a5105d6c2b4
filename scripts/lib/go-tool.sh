# Sourced by the set-up scripts that build a Go program once per machine into the git-ignored .tools/bin.
# go_tool NAME MODULE VERSION PURPOSE
#   Prints the path of .tools/bin/NAME, building it with `go install MODULE@VERSION` first when absent.
#   One build at a time: parallel test runs (or worktrees sharing .tools) would otherwise each start one.
go_tool() {
  local name="$1" module="$2" version="$3" purpose="$4"
  local tools
  tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools/bin"
  if [ -x "$tools/$name" ]; then echo "$tools/$name"; return 0; fi
  command -v go >/dev/null 2>&1 || { echo "$name is built with Go, which is not installed; install Go and re-run ($purpose)" >&2; exit 1; }
  mkdir -p "$tools"
  exec 9>"$tools/.$name.lock"
  flock 9
  if [ ! -x "$tools/$name" ]; then
    echo "Building $name $version with Go into $tools (once per machine, $purpose)..." >&2
    GOBIN="$tools" go install "$module@$version" >&2
  fi
  exec 9>&-
  echo "$tools/$name"
}
