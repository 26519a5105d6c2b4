# Sourced by worker.sh and model-server.sh: run one process in the background with a pid file
# and a log, and stop it. Usage: bg_stop <name> <pidfile>; bg_start <name> <pidfile> <log> <ready-pattern> <command...>

bg_stop() {
  local name="$1" pidfile="$2"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 30); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.5; done
    echo "$name stopped"
  fi
  rm -f "$pidfile"
}

# Starts the command with nohup, rotates the previous log to <log>.1, and waits up to 30 s for
# <ready-pattern> in the log; on exit or timeout prints the log's tail and returns 1.
bg_start() {
  local name="$1" pidfile="$2" log="$3" ready="$4"
  shift 4
  [ -f "$log" ] && mv "$log" "$log.1"
  nohup "$@" >>"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    if grep -q "$ready" "$log" 2>/dev/null && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "$name exited; last log lines:" >&2; tail -20 "$log" >&2; return 1; }
    sleep 0.5
  done
  echo "$name did not report ready in 30 s; see $log" >&2
  return 1
}
