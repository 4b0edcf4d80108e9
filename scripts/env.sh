# shellcheck shell=bash
# Source me (bash) after scripts/setup.sh:   source scripts/env.sh
# Activates .venv and points ansible, molecule, podman and pytest at the repo's build tree:
#   ANSIBLE_COLLECTIONS_PATH  .build/collections (netops.calico = this repo, + containers.podman,
#                             ansible.posix, community.general unpacked by setup.sh)
#   CONTAINERS_CONF           scripts/containers.conf (runc, ulimits, networks in 198.18.128.0/17)
#   PYTHONPATH                .build/collections, so pytest can
#                             `import ansible_collections.netops.calico.plugins.module_utils...`
NETOPS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NETOPS_REPO
if [ ! -f "$NETOPS_REPO/.venv/bin/activate" ]; then
  echo "env.sh: $NETOPS_REPO/.venv missing: run bash scripts/setup.sh first" >&2
  # shellcheck disable=SC2317  # exit: when executed instead of sourced
  return 1 2>/dev/null || exit 1
fi
VIRTUAL_ENV_DISABLE_PROMPT=${VIRTUAL_ENV_DISABLE_PROMPT:-1}
# shellcheck disable=SC1091
. "$NETOPS_REPO/.venv/bin/activate"
export ANSIBLE_COLLECTIONS_PATH="$NETOPS_REPO/.build/collections"
export CONTAINERS_CONF="$NETOPS_REPO/scripts/containers.conf"
case ":${PYTHONPATH:-}:" in
  *":$NETOPS_REPO/.build/collections:"*) ;;
  *) export PYTHONPATH="$NETOPS_REPO/.build/collections${PYTHONPATH:+:$PYTHONPATH}" ;;
esac
