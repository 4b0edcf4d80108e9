# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The calico-node service: its container engine, image, configuration files and systemd state."""

from __future__ import annotations

from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._host import files
from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes
from ansible_collections.netops.calico.plugins.module_utils._host.systemd import Systemd
from ansible_collections.netops.calico.plugins.module_utils._node.options import (
    DEFAULT_IMAGE,
    ENV_PATH,
    NodeError,
    UNIT_NAME,
    UNIT_PATH,
)
from ansible_collections.netops.calico.plugins.module_utils._node.unit import (
    mask_env_diff,
    container_volumes,
    env_values,
    render_env,
    render_unit,
)


def find_engine(host: Host, choice: str) -> tuple[str, str]:
    for engine in (("podman", "docker") if choice == "auto" else (choice,)):
        path = host.which(engine)
        if path:
            return engine, path
    wanted = "podman or docker" if choice == "auto" else choice
    raise NodeError(f"No container engine: calico-node runs from the calico/node image and needs {wanted} on this host. "
                    f"Install it (Debian/Ubuntu/EL: the podman package) or set container_engine.")


def image_present(host: Host, engine: str, engine_path: str, image: str) -> bool:
    if engine == "podman":
        rc, _o, err = host.run([engine_path, "image", "exists", image])
        if rc not in (0, 1):
            raise NodeError(f"podman cannot look up images: {' '.join(err.split())}")
        return rc == 0
    rc, _o, err = host.run([engine_path, "image", "inspect", "--format", "{{.Id}}", image])
    if rc != 0 and "No such image" not in err and "no such image" not in err.lower():
        raise NodeError(f"docker cannot look up images: {' '.join(err.split())}")
    return rc == 0


def ensure_service_files(host: Host, p: dict, name: str, addrs: dict[str, Any], changes: Changes) -> dict[str, Any]:
    engine, engine_path = find_engine(host, p.get("container_engine") or "auto")
    values = env_values(p, name, addrs)
    env_text = render_env(values)
    unit_text = render_unit(engine, engine_path, host.which("mkdir") or "/bin/mkdir", p.get("image") or DEFAULT_IMAGE,
                            list(values), container_volumes(p, host.isdir("/lib/modules")))
    sd = Systemd(host)
    problems = sd.verify(UNIT_NAME, unit_text)
    if problems:
        raise NodeError(f"systemd-analyze verify refuses the {UNIT_NAME} this module would write: "
                        f"{'; '.join(problems)}. Nothing was written.")
    out: dict[str, Any] = {"changed": False, "files": {}, "engine": engine, "engine_path": engine_path,
                           "unit_changed": False, "config_changed": False}
    fe = files.ensure_file(host, ENV_PATH, env_text, 0o600, changes=changes, shown=mask_env_diff)
    fu = files.ensure_file(host, UNIT_PATH, unit_text, 0o644, changes=changes)
    out["files"]["env"] = fe.as_dict()
    out["files"]["unit"] = fu.as_dict()
    out["changed"] = fe.changed or fu.changed
    out["unit_changed"] = fu.content_changed
    out["config_changed"] = fe.content_changed or fu.content_changed
    out["env"] = values
    return out


def ensure_service_state(host: Host, p: dict, svc: dict[str, Any]) -> dict[str, Any]:
    """daemon-reload after a unit change; with state=started also the image, enabled, and running,
    restarted only when this run changed its configuration."""
    sd = Systemd(host)
    out: dict[str, Any] = {"changed": False, "name": UNIT_NAME, "daemon_reloaded": False, "enabled_now": False,
                           "started": False, "restarted": False, "image_pulled": False, "restart_needed": False}
    if not sd.running:
        if p.get("state") == "started":
            raise NodeError("state=started needs systemd as the init system, and systemd is not running here "
                            "(/run/systemd/system is missing). Use state=present and start calico-node yourself.")
        out["systemd"] = False
        return out
    out["systemd"] = True
    if svc["unit_changed"]:
        sd.daemon_reload()
        out["daemon_reloaded"] = True
    st = sd.state(UNIT_NAME)
    active = st.get("ActiveState") in ("active", "activating", "reloading")
    if p.get("state") != "started":
        if active and svc["config_changed"]:
            out["restart_needed"] = True
        out["state"] = st
        return out
    engine, engine_path, image = svc["engine"], svc["engine_path"], p.get("image") or DEFAULT_IMAGE
    if not image_present(host, engine, engine_path, image):
        if not p.get("image_pull", True):
            raise NodeError(f"The image {image} is not on this host and image_pull is false. Load it "
                            f"({engine} load -i calico-node.tar) or allow pulling.")
        out["changed"] = out["image_pulled"] = True
        rc, _o, err = host.change([engine_path, "pull", image])
        if rc != 0:
            raise NodeError(f"The image {image} is not on this host and could not be pulled: "
                            f"{' '.join(err.split())[-600:]}. Make it available ({engine} load -i calico-node.tar, "
                            f"or a registry mirror this host reaches) or set image. The configuration was written; "
                            f"{UNIT_NAME} was not started.")
    if st.get("UnitFileState") not in ("enabled", "enabled-runtime", "static", "alias"):
        out["changed"] = out["enabled_now"] = True
        sd.enable(UNIT_NAME)
    if not active:
        out["changed"] = out["started"] = True
        sd.start(UNIT_NAME)
    elif svc["config_changed"]:
        out["changed"] = out["restarted"] = True
        sd.restart(UNIT_NAME)
    if out["started"] or out["restarted"]:
        st = sd.wait_running(UNIT_NAME, timeout=float(p.get("start_timeout") or 30))
        if not (st.get("ActiveState") == "active" and st.get("SubState") == "running"):
            raise NodeError(f"{UNIT_NAME} did not stay running (ActiveState={st.get('ActiveState')}, "
                            f"SubState={st.get('SubState')}, Result={st.get('Result')}). Its last log lines: "
                            f"{sd.journal(UNIT_NAME)[-1500:]}")
    out["state"] = sd.state(UNIT_NAME)
    return out
