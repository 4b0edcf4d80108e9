#!/usr/bin/env bash
# Prepare this machine (Debian 12, root) and the repo for netops.calico development and CI.
# Idempotent and non-interactive; a rerun on a ready machine takes a few seconds.
#
#   bash scripts/setup.sh            # then: source scripts/env.sh
#
# Steps: apt packages (skipped when all present) -> .venv from requirements-dev.txt (skipped
# when its hash is unchanged) -> .build/collections (this collection as a symlink + the
# collections molecule's podman driver needs, unpacked from the `ansible` wheel: no Galaxy)
# -> ansible-test's offline pip bootstrap (no Docker, no access to its get-pip host).
#
# Knobs (env): PYTHON (python3), ANSIBLE_PKG (ansible==12.3.0: 12.x pairs with
# ansible-core 2.19), COLLECTIONS, NETOPS_CACHE (.build/cache), ANSIBLE_TEST_HOME
# (.build/home), SKIP_APT=1.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$REPO/.build
CACHE=${NETOPS_CACHE:-$BUILD/cache}
LOGS=$BUILD/logs
PYTHON=${PYTHON:-python3}
VENV=$REPO/.venv
ANSIBLE_PKG=${ANSIBLE_PKG:-ansible==12.3.0}
COLLECTIONS=${COLLECTIONS:-containers/podman ansible/posix community/general}
read -r -a COLLECTION_LIST <<<"$COLLECTIONS"
ANSIBLE_TEST_HOME=${ANSIBLE_TEST_HOME:-$BUILD/home}
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '[setup %3ss] %s\n' "$SECONDS" "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
# run a noisy command with its output in a log file; show the tail only when it fails
quiet() {
  local name=$1; shift
  if ! "$@" >"$LOGS/$name.log" 2>&1; then
    tail -n 40 "$LOGS/$name.log" >&2
    die "$name failed (full log: $LOGS/$name.log)"
  fi
}
mkdir -p "$BUILD" "$CACHE" "$LOGS"

# --- 1. apt -------------------------------------------------------------------------------
# Installed without recommends: podman's useful recommends are listed explicitly, and
# wireguard-tools' recommends would pull a kernel image.
APT_PKGS=(
  etcd-server etcd-client                  # throwaway etcd (scripts/etcd.sh)
  podman runc conmon uidmap slirp4netns netavark aardvark-dns fuse-overlayfs iptables
  debootstrap debian-archive-keyring       # registry-free test-host image (scripts/lab-image.sh)
  bird2 iproute2 git curl
  python3 python3-venv
  shellcheck                               # enables ansible-test's shellcheck sanity test
  wireguard-tools wireguard-go             # userspace WireGuard (no kernel module here)
)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$p")
done
if [ "${SKIP_APT:-0}" = 1 ]; then
  log "apt: skipped (SKIP_APT=1)"
elif [ ${#missing[@]} -eq 0 ]; then
  log "apt: all ${#APT_PKGS[@]} packages present"
else
  [ "$(id -u)" = 0 ] || die "apt packages missing (${missing[*]}) and not root"
  log "apt: installing ${missing[*]}"
  # keep etcd/bird from being started as services by their postinst
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  trap 'if [ $policy_added = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  quiet apt-update apt-get update
  quiet apt-install apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  log "apt: done"
fi

# --- 2. venv ------------------------------------------------------------------------------
if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  log "venv: creating $VENV ($("$PYTHON" --version 2>&1))"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
REQ=$REPO/requirements-dev.txt
[ -f "$REQ" ] || die "missing $REQ"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ "$(cat "$VENV/.requirements-dev.sha256" 2>/dev/null)" = "$want" ]; then
  log "venv: requirements-dev.txt unchanged"
else
  log "venv: pip install -r requirements-dev.txt (first time ~1-2 min)"
  quiet pip-install "$VENV/bin/python" -m pip install -r "$REQ"
  echo "$want" >"$VENV/.requirements-dev.sha256"
  log "venv: $("$VENV/bin/ansible" --version 2>/dev/null | awk 'NR==1')"
fi

# --- 3. collections without Galaxy --------------------------------------------------------
COLL=$BUILD/collections/ansible_collections
mkdir -p "$COLL/netops"
if [ -e "$COLL/netops/calico" ] && [ ! -L "$COLL/netops/calico" ]; then
  die "$COLL/netops/calico exists and is not a symlink"
fi
ln -sfn ../../../.. "$COLL/netops/calico"   # relative: survives moving the clone
ver=${ANSIBLE_PKG#*==}
whl=$CACHE/ansible-$ver-py3-none-any.whl
stamp="$ANSIBLE_PKG $COLLECTIONS"
if [ "$(cat "$BUILD/collections/.extracted" 2>/dev/null)" = "$stamp" ]; then
  log "collections: $COLLECTIONS from $ANSIBLE_PKG already unpacked"
else
  if [ ! -s "$whl" ]; then
    log "collections: downloading $ANSIBLE_PKG wheel to $CACHE"
    quiet pip-download "$VENV/bin/python" -m pip download --no-deps -d "$CACHE" "$ANSIBLE_PKG"
    [ -s "$whl" ] || die "pip download did not produce $whl"
  fi
  log "collections: unpacking $COLLECTIONS"
  "$VENV/bin/python" - "$whl" "$BUILD/collections" "${COLLECTION_LIST[@]}" <<'PY'
import shutil, sys, zipfile
from pathlib import Path
whl, dest, colls = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
z = zipfile.ZipFile(whl)
names = z.namelist()
for c in colls:
    pre = f"ansible_collections/{c}/"
    mine = [n for n in names if n.startswith(pre)]
    if not mine:
        sys.exit(f"{c}: not in {whl}")
    shutil.rmtree(dest / pre, ignore_errors=True)
    z.extractall(dest, mine)   # MANIFEST.json/FILES.json included: ansible-galaxy lists them
    print(f"  {c}: {len(mine)} files")
PY
  echo "$stamp" >"$BUILD/collections/.extracted"
fi

# --- 4. ansible-test offline pip bootstrap ------------------------------------------------
# ansible-test builds a venv per sanity test and bootstraps pip there with a get-pip script
# downloaded from a host this machine cannot reach; put a local stand-in + the pip wheel it
# runs into ansible-test's cache (under the HOME that scripts/sanity.sh uses).
AT_CACHE=$ANSIBLE_TEST_HOME/.ansible/test/cache
# the pip version ansible-test bootstraps (default_packages in get_venv_packages)
pipver=$("$VENV/bin/python" - <<'PY'
import pathlib, re, ansible_test
src = pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py"
m = re.search(r"default_packages = dict\(\s*pip='([0-9.]+)'", src.read_text())
print(m.group(1) if m else "24.2")
PY
)
mkdir -p "$AT_CACHE"
shim=$AT_CACHE/get_pip_${pipver//./_}.py
if ls "$AT_CACHE"/pip-"$pipver"-py3-none-any.whl >/dev/null 2>&1 && cmp -s "$REPO/scripts/get_pip_offline.py" "$shim"; then
  log "ansible-test: offline get-pip $pipver already in $AT_CACHE"
else
  quiet pip-download-pip "$VENV/bin/python" -m pip download --no-deps -d "$AT_CACHE" "pip==$pipver"
  cp "$REPO/scripts/get_pip_offline.py" "$shim"
  log "ansible-test: offline get-pip $pipver installed in $AT_CACHE"
fi

log "ready: source scripts/env.sh"
