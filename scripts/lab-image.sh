#!/usr/bin/env bash
# Registry-free Debian bookworm test-host image for molecule/podman: debootstrap (minbase) +
# `podman import`, CMD systemd. No registry is involved anywhere.
#
#   bash scripts/lab-image.sh [all|build|verify|rm]     (default: all = build, then verify)
#
# build   skip when $IMAGE exists and carries the label of the current package list; else
#         import the cached rootfs tarball (.build/image/*.tar.gz), else debootstrap it
#         (~1.5 min). FORCE=1 rebuilds the rootfs from scratch.
# verify  boot it (privileged, systemd, network none), wait for
#         `systemctl is-system-running --wait` = running|degraded, remove the container.
# rm      remove the image (the cached tarball stays; FORCE=1 to rebuild that too).
#
# Env: IMAGE (localhost/calico-host:bookworm), MIRROR (the Debian mirror apt uses here),
#      BOOT_TIMEOUT (60 s), CONTAINERS_CONF (scripts/containers.conf).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$REPO/scripts/containers.conf}
IMAGE=${IMAGE:-localhost/calico-host:bookworm}
SUITE=bookworm
DIR=$REPO/.build/image
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
# What a calico test host needs. python3-apt: ansible's apt module; netbase: /etc/protocols
# for iptables; kmod/iproute2/iptables/procps: what the roles touch; gnupg+ca-certificates:
# apt repository keys; podman (netavark: its container-network-stack; runc): the engine
# calico-node's systemd unit runs (the roles find it with `which`; with it in the image no test
# host needs apt at converge time).
PKGS=python3,python3-apt,systemd,systemd-sysv,dbus,iproute2,iputils-ping,procps,sudo,
PKGS+=ca-certificates,iptables,kmod,gnupg,netbase,podman,netavark,runc
# units that are useless (or fail) in a container
MASK="getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service
  systemd-timesyncd.service systemd-networkd-wait-online.service apt-daily.timer
  apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer"
# bump when the tweaks below change: part of the cache key
RECIPE=3
KEY=$(printf '%s|%s|%s|%s' "$SUITE" "$PKGS" "$MASK" "$RECIPE" | sha256sum | cut -c1-12)
TARBALL=$DIR/calico-host-$SUITE-$KEY.tar.gz

log() { printf '[lab-image %3ss] %s\n' "$SECONDS" "$*"; }
die() { printf '[lab-image] ERROR: %s\n' "$*" >&2; exit 1; }

mirror() {
  local m=${MIRROR:-}
  [ -n "$m" ] || m=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$m" ] || m=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${m:-http://deb.debian.org/debian}"
}

build_rootfs() {
  [ "$(id -u)" = 0 ] || die "debootstrap needs root"
  command -v debootstrap >/dev/null || die "debootstrap missing: run scripts/setup.sh"
  local rootfs=$DIR/rootfs.tmp m t0=$SECONDS
  m=$(mirror)
  rm -rf "$rootfs"; mkdir -p "$DIR"
  log "debootstrap $SUITE minbase from $m (log: $DIR/debootstrap.log)"
  # the mirror answers now and then with a bad signature or an empty package list: retry
  local try
  for try in 1 2 3; do
    if debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$rootfs" "$m" >"$DIR/debootstrap.log" 2>&1; then
      break
    fi
    tail -n 5 "$DIR/debootstrap.log" >&2
    [ "$try" -lt 3 ] || die "debootstrap failed 3 times (log: $DIR/debootstrap.log)"
    log "debootstrap failed (try $try), retrying in 5 s"
    rm -rf "$rootfs"; sleep 5
  done
  # trim + container-friendly tweaks
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
         "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$rootfs"/etc/apt/sources.list.d/debian.sources
    rm -f "$rootfs"/etc/apt/sources.list
  fi
  for u in $MASK; do ln -sf /dev/null "$rootfs/etc/systemd/system/$u"; done
  # every container gets its own machine-id at boot
  : >"$rootfs"/etc/machine-id; rm -f "$rootfs"/var/lib/dbus/machine-id
  echo calico-host >"$rootfs"/etc/hostname
  # podman inside a test host: overlay on overlay does not work, vfs does
  mkdir -p "$rootfs"/etc/containers
  printf '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' \
    >"$rootfs"/etc/containers/storage.conf
  log "rootfs $(du -sh "$rootfs" | cut -f1) in $((SECONDS - t0)) s; packing $TARBALL"
  rm -f "$DIR"/calico-host-"$SUITE"-*.tar.gz
  tar -C "$rootfs" -c . | gzip -1 >"$TARBALL.tmp"
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$rootfs"
}

image_key() { podman image inspect --format '{{index .Config.Labels "netops.calico.rootfs"}}' "$IMAGE" 2>/dev/null || true; }

build() {
  local t0=$SECONDS
  if [ "${FORCE:-0}" != 1 ] && [ "$(image_key)" = "$KEY" ]; then
    log "$IMAGE exists (rootfs $KEY): skip build (FORCE=1 rebuilds)"
    return
  fi
  if [ "${FORCE:-0}" = 1 ] || [ ! -s "$TARBALL" ]; then build_rootfs; else log "using cached $TARBALL"; fi
  log "podman import -> $IMAGE"
  podman import --quiet \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change 'ENV container=podman' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change "LABEL netops.calico.rootfs=$KEY" \
    "$TARBALL" "$IMAGE" >/dev/null
  log "built $IMAGE ($(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}')) in $((SECONDS - t0)) s"
}

verify() {
  local name=calico-host-verify-$$ state t0
  podman image exists "$IMAGE" || die "$IMAGE missing: run $0 build"
  trap 'podman rm -f -t 0 "$name" >/dev/null 2>&1 || true' EXIT
  t0=$(date +%s%N)
  # network none: nothing to talk to; privileged: /proc/sys writable like the molecule hosts
  podman run -d --name "$name" --hostname "$name" --privileged --systemd=always \
    --network none "$IMAGE" >/dev/null
  # right after start systemd's bus is not up yet ("Failed to connect to bus"): retry
  local deadline=$((SECONDS + BOOT_TIMEOUT))
  while :; do
    state=$(timeout "$BOOT_TIMEOUT" podman exec "$name" systemctl is-system-running --wait 2>/dev/null || true)
    case "$state" in running|degraded|maintenance|stopping) break ;; esac
    [ $SECONDS -lt $deadline ] || break
    sleep 0.2
  done
  log "systemd in $name: ${state:-timeout} after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  case "$state" in
    running) ;;
    degraded) podman exec "$name" systemctl --failed --no-legend --plain | sed 's/^/  failed: /' ;;
    *) podman exec "$name" systemctl --failed --no-pager 2>&1 | tail -n 20 >&2 || podman logs "$name" | tail -n 20 >&2
       die "systemd did not come up (state: ${state:-timeout})" ;;
  esac
  podman exec "$name" python3 -c 'import apt, sys; print("  python", sys.version.split()[0])'
  podman rm -f -t 0 "$name" >/dev/null
  trap - EXIT
  log "verify OK"
}

case "${1:-all}" in
  all) build; verify ;;
  build) build ;;
  verify) verify ;;
  rm) podman rmi -f "$IMAGE" >/dev/null 2>&1 || true; log "removed $IMAGE" ;;
  *) echo "usage: $0 [all|build|verify|rm]" >&2; exit 2 ;;
esac
