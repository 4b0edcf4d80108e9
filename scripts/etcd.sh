#!/usr/bin/env bash
# Throwaway single-node etcd (Debian etcd-server 3.4, API v3) on loopback only.
#
#   bash scripts/etcd.sh start|stop|status|restart
#
# start   fresh data dir, waits until `etcdctl endpoint health` passes (ETCD_TIMEOUT, 30 s),
#         prints the client endpoint on stdout (last line); a running healthy instance is
#         reused. On failure: prints the log, kills the process, exits 1.
# stop    kills it and removes its data.      status: exit 0 + endpoint when healthy, else 1.
#
# Env: WORKDIR (state dir; default <repo>/.build/etcd), ETCD_PORT (client, 23790),
#      ETCD_PEER_PORT (ETCD_PORT+10); metrics listen on ETCD_PORT+2. All on 127.0.0.1.
# Usage in tests: ETCD_ENDPOINT=$(bash scripts/etcd.sh start | tail -n1)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
D=${WORKDIR:-$REPO/.build/etcd}
PORT=${ETCD_PORT:-23790}
PEER=${ETCD_PEER_PORT:-$((PORT + 10))}
TIMEOUT=${ETCD_TIMEOUT:-30}
ENDPOINT=http://127.0.0.1:$PORT
PIDFILE=$D/etcd.pid
LOG=$D/etcd.log

msg() { printf '[etcd] %s\n' "$*" >&2; }

pid() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }
healthy() { ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINT" --dial-timeout=1s --command-timeout=2s endpoint health >/dev/null 2>&1; }

stop() {
  local p
  if p=$(pid); then
    kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    msg "stopped pid $p"
  fi
  rm -rf "$PIDFILE" "$D/data"
}

start() {
  command -v etcd >/dev/null || { msg "etcd missing: run scripts/setup.sh"; exit 1; }
  if pid >/dev/null && healthy; then
    msg "already running: pid $(pid)"
    echo "$ENDPOINT"; return
  fi
  stop
  mkdir -p "$D"
  local t0 p
  t0=$(date +%s%N)
  # env -u: etcd reads ETCD_* variables as flags and warns about unknown ones
  env -u ETCD_PORT -u ETCD_PEER_PORT -u ETCD_TIMEOUT \
    nohup etcd --name netops0 --data-dir "$D/data" \
    --listen-client-urls "$ENDPOINT" --advertise-client-urls "$ENDPOINT" \
    --listen-peer-urls "http://127.0.0.1:$PEER" --initial-advertise-peer-urls "http://127.0.0.1:$PEER" \
    --initial-cluster "netops0=http://127.0.0.1:$PEER" --initial-cluster-state new \
    --listen-metrics-urls "http://127.0.0.1:$((PORT + 2))" --logger=zap --log-outputs=stderr \
    >"$LOG" 2>&1 </dev/null &
  p=$!
  echo "$p" >"$PIDFILE"
  local deadline=$((SECONDS + TIMEOUT))
  until healthy; do
    if ! kill -0 "$p" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      msg "etcd did not become healthy within ${TIMEOUT}s; log $LOG:"
      tail -n 40 "$LOG" >&2
      stop
      exit 1
    fi
    sleep 0.1
  done
  msg "pid $p healthy after $(( ($(date +%s%N) - t0) / 1000000 )) ms, data $D/data"
  echo "$ENDPOINT"
}

status() {
  if pid >/dev/null && healthy; then
    msg "running: pid $(pid)"; echo "$ENDPOINT"
  else
    msg "not running (or unhealthy) at $ENDPOINT"; exit 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|stop|status|restart" >&2; exit 2 ;;
esac
