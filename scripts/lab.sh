#!/usr/bin/env bash
# The main job against the built-in lab: set up the machine, start the lab's etcd on loopback,
# and run playbooks/site.yml. Safe to rerun (the second run reports no changes).
#   bash scripts/lab.sh          # up + site.yml
#   bash scripts/lab.sh down     # stop the lab
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
if [ "${1:-up}" = down ]; then
  bash scripts/etcd.sh stop
  exit 0
fi
bash scripts/setup.sh
# shellcheck disable=SC1091
source scripts/env.sh
bash scripts/etcd.sh start
export ANSIBLE_CONFIG="$REPO/ansible.cfg"
ansible-playbook -i playbooks/inventory/lab.yml playbooks/site.yml --diff "${@:2}"
echo "lab etcd left running at http://127.0.0.1:${ETCD_PORT:-23790}; stop it with: bash scripts/lab.sh down"
