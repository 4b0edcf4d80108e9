#!/usr/bin/env bash
# The main job against the built-in lab: set up this machine, start the lab (etcd and three
# systemd test hosts on a podman network in 198.18.0.0/15) and run playbooks/site.yml against it.
# Safe to rerun: the lab is reused and the second run of site.yml reports changed=0 on every host.
#
#   bash scripts/lab.sh                 # setup + lab up + site.yml (extra args go to ansible-playbook)
#   bash scripts/lab.sh up              # the lab only
#   bash scripts/lab.sh run [ARGS]      # site.yml only (the lab must be up)
#   bash scripts/lab.sh down            # remove the hosts, etcd and the network
#
# The lab (playbooks/inventory/lab.yml is its inventory):
#   network  calico-lab            198.18.200.0/24
#   etcd     calico-lab-etcd       198.18.200.2:2379 (Debian's etcd from this machine, bind-mounted)
#   hosts    calico-lab-node1..3   198.18.200.11-13, localhost/calico-host:bookworm, systemd
# The calico/node image cannot be pulled on these machines (no registry): the lab configures
# calico-node on every host (unit, calico.env, kernel, Node resource) without starting it.
#
# Another lab beside this one (scripts/awx_job.py's test uses it): the names and the /24 come from
#   LAB_NAME=calico-awx LAB_NET=198.18.210   network LAB_NAME, etcd LAB_NAME-etcd at LAB_NET.2,
#                                              hosts LAB_NAME-node1..3 at LAB_NET.11-13
#   LAB_ETCD_PKI=DIR   etcd with TLS and client certificates: DIR/ca.pem, DIR/server.pem,
#                      DIR/server-key.pem (the server certificate names LAB_NET.2), and
#                      DIR/client.pem, DIR/client-key.pem for the health check
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
NET=${LAB_NAME:-calico-lab}
PREFIX=${LAB_NET:-198.18.200}
SUBNET=$PREFIX.0/24
ETCD_IP=$PREFIX.2
ETCD=$NET-etcd
NODES=("$NET-node1" "$NET-node2" "$NET-node3")
IMAGE=localhost/calico-host:bookworm
PKI=${LAB_ETCD_PKI:-}
if [ -n "$PKI" ]; then SCHEME=https; else SCHEME=http; fi
log() { printf '[lab %3ss] %s\n' "$SECONDS" "$*" >&2; }

down() {
  podman rm --force --ignore --time 0 "${NODES[@]}" "$ETCD" >/dev/null
  podman network rm --force "$NET" >/dev/null 2>&1 || true
  log "lab removed"
}

running() { [ "$(podman inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

up() {
  bash scripts/lab-image.sh build >&2
  podman network exists "$NET" || podman network create --subnet "$SUBNET" "$NET" >/dev/null
  if ! running "$ETCD"; then
    local tls=() mount=()
    if [ -n "$PKI" ]; then
      mount=(-v "$(cd "$PKI" && pwd):/etc/etcd-pki:ro")
      tls=(--cert-file /etc/etcd-pki/server.pem --key-file /etc/etcd-pki/server-key.pem
           --trusted-ca-file /etc/etcd-pki/ca.pem --client-cert-auth)
    fi
    podman rm --force --ignore --time 0 "$ETCD" >/dev/null
    podman run -d --name "$ETCD" --hostname "$ETCD" --network "$NET" --ip "$ETCD_IP" \
      -v /usr/bin/etcd:/usr/local/bin/etcd:ro "${mount[@]}" --label owner=netops-lab "$IMAGE" \
      /usr/local/bin/etcd --name lab --data-dir /var/lib/etcd-lab "${tls[@]}" \
      --listen-client-urls "$SCHEME://0.0.0.0:2379" --advertise-client-urls "$SCHEME://$ETCD_IP:2379" \
      --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
      --initial-cluster lab=http://127.0.0.1:2380 --initial-cluster-state new \
      --listen-metrics-urls http://127.0.0.1:2381 --log-level warn >/dev/null
  fi
  local i=11 n
  for n in "${NODES[@]}"; do
    if ! running "$n"; then
      podman rm --force --ignore --time 0 "$n" >/dev/null
      podman run -d --name "$n" --hostname "$n" --network "$NET" --ip "$PREFIX.$i" --privileged \
        --systemd always --label owner=netops-lab "$IMAGE" /lib/systemd/systemd >/dev/null
    fi
    i=$((i + 1))
  done
  for n in "${NODES[@]}"; do
    local state="" deadline=$((SECONDS + 60))
    until case "$state" in running|degraded) true ;; *) false ;; esac; do
      [ $SECONDS -lt $deadline ] || { log "systemd in $n did not come up ($state)"; exit 1; }
      state=$(timeout 30 podman exec "$n" systemctl is-system-running --wait 2>/dev/null || true)
      sleep 0.2
    done
  done
  local deadline=$((SECONDS + 30))
  local curl_tls=()
  [ -z "$PKI" ] || curl_tls=(--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client-key.pem")
  until curl -fsS "${curl_tls[@]}" "$SCHEME://$ETCD_IP:2379/health" 2>/dev/null | grep -q '"true"'; do
    [ $SECONDS -lt $deadline ] || { podman logs "$ETCD" | tail -n 20 >&2; log "etcd is not healthy"; exit 1; }
    sleep 0.2
  done
  log "lab up: etcd $SCHEME://$ETCD_IP:2379, hosts ${NODES[*]} (systemd running)"
}

run() {
  export ANSIBLE_CONFIG="$REPO/ansible.cfg"
  log "calico-node is configured, not started: its image cannot be pulled here (no registry)"
  ansible-playbook -i playbooks/inventory/lab.yml playbooks/site.yml --diff "$@"
}

case "${1:-all}" in
  down) down; exit 0 ;;
esac
bash scripts/setup.sh >&2
# shellcheck source=scripts/env.sh
. scripts/env.sh
case "${1:-all}" in
  up) up ;;
  run) shift; run "$@" ;;
  all) up; run "${@:2}"
       log "lab left running; rerun this command (changed=0 on every host), remove it with: bash scripts/lab.sh down" ;;
  *) echo "usage: $0 [all|up|run|down] [ansible-playbook args]" >&2; exit 2 ;;
esac
