"""The calico_kubernetes role's templates, rendered in-process with Ansible's own templating engine
from the settings calico_network's validate_only returns (the same Python the role's validation
task runs): for each encapsulation (ipip, vxlan, none on IPv6), with and without Typha, eBPF and
WireGuard, every object validates offline against the Kubernetes schema of the versions Calico 3.31
supports (kubernetes-validate, strict), and the env and ConfigMap values are kOps' mapping (ipip:
bird backend and BIRD probes; vxlan: vxlan backend and no BIRD probes; the MTU in veth_mtu, the CNI
config and the Felix MTU env)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.netops.calico.plugins.module_utils._network import apply as _apply
from ansible_collections.netops.calico.plugins.module_utils._network import spec as _spec
from ansible_collections.netops.calico.plugins.module_utils._network.pools import pools_from_options
from ansible_collections.netops.calico.plugins.module_utils._network.validate import build

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "calico_kubernetes"
K8S_VERSIONS = ("1.32.0", "1.34.0")      # the Kubernetes versions Calico 3.31 supports, oldest and newest


def _cases() -> dict[str, dict]:
    out = {}
    for encap in ("ipip", "vxlan"):
        for typha in (0, 2):
            for bpf in (False, True):
                for wg in (False, True):
                    spec = {"encapsulationMode": encap, "typhaReplicas": typha, "bpfEnabled": bpf,
                            "wireguardEnabled": wg}
                    out[f"{encap}-typha{typha}-bpf{int(bpf)}-wg{int(wg)}"] = {"spec": spec}
    for typha in (0, 2):
        for bpf in (False, True):
            out[f"none-v6-typha{typha}-bpf{int(bpf)}"] = {
                "spec": {"encapsulationMode": "none", "typhaReplicas": typha, "bpfEnabled": bpf}, "ip_family": "ipv6"}
    out["ipip-mtu1400"] = {"spec": {"mtu": 1400}}
    out["vxlan-host9001"] = {"spec": {"encapsulationMode": "vxlan"}, "host_mtu": 9001}
    out["ipip-wg-host1500"] = {"spec": {"wireguardEnabled": True}, "host_mtu": 1500}
    out["ipip-auto"] = {"spec": {}}
    out["dual-vxlan-calico-system"] = {"spec": {"encapsulationMode": "vxlan", "prometheusMetricsEnabled": True,
                                                "typhaReplicas": 1, "typhaPrometheusMetricsEnabled": True,
                                                "allowIPForwarding": True, "cpuRequest": "100m"},
                                       "ip_family": "dual", "namespace": "calico-system"}
    return out


CASES = _cases()


def settings(case: dict) -> dict:
    """What the role's validation task registers (calico_network validate_only)."""
    family = case.get("ip_family", "ipv4")
    ctx = _spec.Context(ip_family=family, datastore_type="kubernetes")
    sr = build(case["spec"], {k: None for k in _spec.SNAKE_OPTIONS}, ctx)
    pools, pool_errors = pools_from_options(None, "192.168.0.0/16" if family != "ipv6" else None,
                                            "fd00:10:244::/56" if family != "ipv4" else None, True, False, ctx)
    out = _apply.validate_only(sr, ctx, pools, case.get("host_mtu"), None, pool_errors)
    assert out["valid"], out["errors"]
    return json.loads(json.dumps(out))


def render(case: dict) -> list[dict]:
    """The role's render step: its defaults and vars, the settings, each template of
    calico_kubernetes_templates through Ansible's templating, parsed as YAML documents. Runs in a
    child process (``rendered``): Ansible's plugin loader installs its collection finder globally."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader
    from ansible.template import Templar, trust_as_template

    def trusted(value):                  # role files are templates Ansible trusts
        if isinstance(value, str):
            return trust_as_template(value)
        if isinstance(value, dict):
            return {k: trusted(v) for k, v in value.items()}
        if isinstance(value, list):
            return [trusted(v) for v in value]
        return value

    init_plugin_loader()
    loader = DataLoader()
    variables: dict = {}
    for f in ("defaults/main.yml", "vars/main.yml"):
        variables.update(trusted(yaml.safe_load((ROLE / f).read_text())))
    variables.update(calico_kubernetes_networking=case["spec"],
                     calico_kubernetes_ip_family=case.get("ip_family", "ipv4"),
                     calico_kubernetes_api_host="198.18.0.10", calico_kubernetes_settings=settings(case),
                     calico_kubernetes_namespace=case.get("namespace", "kube-system"))
    templar = Templar(loader=loader, variables=variables)
    names = templar.template(trust_as_template("{{ calico_kubernetes_templates }}"))
    objects = []
    for name in names:
        text = templar.template(trust_as_template((ROLE / "templates" / name).read_text()))
        objects += [o for o in yaml.safe_load_all(text) if o]
    return objects


@pytest.fixture(scope="module")
def rendered():
    env = dict(os.environ, PYTHONPATH=f"{REPO / '.build/collections'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    p = subprocess.run([sys.executable, __file__], input=json.dumps(CASES), capture_output=True, text=True, env=env,
                       timeout=600, check=False)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(p.stdout)


def find(objects: list[dict], kind: str, name: str) -> dict | None:
    return next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name), None)


def env_of(ds: dict) -> dict:
    container = ds["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


_VALIDATED: dict[tuple[str, str], str | None] = {}


def schema_error(obj: dict, version: str) -> str | None:
    """kubernetes-validate's verdict (strict: unknown fields refused), once per distinct object."""
    import kubernetes_validate
    key = (version, json.dumps(obj, sort_keys=True))
    if key not in _VALIDATED:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
            _VALIDATED[key] = None
        except kubernetes_validate.ValidationError as exc:
            _VALIDATED[key] = f"{exc.message} at {'.'.join(map(str, exc.path))}"
    return _VALIDATED[key]


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("case", list(CASES))
def test_every_object_validates_against_the_kubernetes_schema(rendered, case, version):
    objects = rendered[case]
    assert len(objects) >= 14
    errors = [f"{o['kind']} {o['metadata']['name']}: {err}" for o in objects if (err := schema_error(o, version))]
    assert not errors, f"{case} is invalid for Kubernetes {version}: {errors}"


def test_the_validator_refuses_what_kubernetes_refuses(rendered):
    """The schema check can fail: a misspelt field and a string replica count are refused."""
    import kubernetes_validate
    ds = find(rendered["ipip-auto"], "DaemonSet", "calico-node")
    ds["spec"]["template"]["spec"]["hostNetwrk"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(ds, K8S_VERSIONS[0], strict=True)
    pdb = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"replicas": "2", "selector": {}, "template": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pdb, K8S_VERSIONS[0], strict=True)


@pytest.mark.parametrize("case", list(CASES))
def test_kops_mapping(rendered, case):
    spec = CASES[case]["spec"]
    family = CASES[case].get("ip_family", "ipv4")
    encap = spec.get("encapsulationMode", "ipip")
    objects = rendered[case]
    cm = find(objects, "ConfigMap", "calico-config")["data"]
    ds = find(objects, "DaemonSet", "calico-node")
    env = env_of(ds)
    container = ds["spec"]["template"]["spec"]["containers"][0]
    assert cm["calico_backend"] == {"ipip": "bird", "vxlan": "vxlan", "none": "none"}[encap]
    assert env["CALICO_NETWORKING_BACKEND"] == {"configMapKeyRef": {"name": "calico-config", "key": "calico_backend"}}
    live, ready = container["livenessProbe"]["exec"]["command"], container["readinessProbe"]["exec"]["command"]
    if encap == "ipip":
        assert env["CALICO_IPV4POOL_IPIP"] == "CrossSubnet" and env["CALICO_IPV4POOL_VXLAN"] == "Never"
        assert live == ["/bin/calico-node", "-felix-live", "-bird-live"]
        assert ready == ["/bin/calico-node", "-felix-ready", "-bird-ready"]
    else:
        assert live == ["/bin/calico-node", "-felix-live"] and ready == ["/bin/calico-node", "-felix-ready"]
    if encap == "vxlan":
        assert env["CALICO_IPV4POOL_VXLAN"] == "CrossSubnet" and env["CALICO_IPV4POOL_IPIP"] == "Never"
    assert env["FELIX_HEALTHENABLED"] == "true" and env["FELIX_DEFAULTENDPOINTTOHOSTACTION"] == "ACCEPT"
    assert env["FELIX_BPFENABLED"] == str(bool(spec.get("bpfEnabled"))).lower()
    assert env["FELIX_WIREGUARDENABLED"] == str(bool(spec.get("wireguardEnabled"))).lower()
    assert env["FELIX_LOGSEVERITYSCREEN"] == "info" and env["FELIX_CHAININSERTMODE"] == "insert"
    assert env["FELIX_IPV6SUPPORT"] == ("false" if family == "ipv4" else "true")
    assert env["DATASTORE_TYPE"] == "kubernetes"
    assert env["IP_AUTODETECTION_METHOD"] == ("none" if family == "ipv6" else "first-found")
    assert env["IP6_AUTODETECTION_METHOD"] == ("none" if family == "ipv4" else "first-found")
    assert container["resources"]["requests"]["cpu"] == spec.get("cpuRequest", "250m")
    assert container["image"] == "quay.io/calico/node:v3.31.7"

    typha = spec.get("typhaReplicas", 0)
    assert cm["typha_service_name"] == ("calico-typha" if typha else "none")
    if typha:
        assert env["FELIX_TYPHAK8SSERVICENAME"] == {"configMapKeyRef": {"name": "calico-config",
                                                                        "key": "typha_service_name"}}
        assert find(objects, "Deployment", "calico-typha")["spec"]["replicas"] == typha
        assert find(objects, "Service", "calico-typha") and find(objects, "PodDisruptionBudget", "calico-typha")
    else:
        assert "FELIX_TYPHAK8SSERVICENAME" not in env
        assert not [o for o in objects if o["metadata"]["name"] == "calico-typha"]

    endpoint = find(objects, "ConfigMap", "kubernetes-services-endpoint")
    if spec.get("bpfEnabled"):
        assert endpoint["data"] == {"KUBERNETES_SERVICE_HOST": "198.18.0.10", "KUBERNETES_SERVICE_PORT": "6443"}
    else:
        assert endpoint is None

    kc = find(objects, "Deployment", "calico-kube-controllers")
    kc_env = {e["name"]: e["value"] for e in kc["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "node" in kc_env["ENABLED_CONTROLLERS"].split(",")
    namespace = CASES[case].get("namespace", "kube-system")
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] not in (
        "ClusterRole", "ClusterRoleBinding", "Namespace")} == {namespace}
    binding = find(objects, "ClusterRoleBinding", "calico-node")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "calico-node", "namespace": namespace}]
    assert bool(find(objects, "Namespace", namespace)) == (namespace != "kube-system")


def test_metrics_ip_forwarding_and_dual_stack(rendered):
    objects = rendered["dual-vxlan-calico-system"]
    cni = json.loads(find(objects, "ConfigMap", "calico-config")["data"]["cni_network_config"])
    assert cni["plugins"][0]["container_settings"] == {"allow_ip_forwarding": True}
    assert cni["plugins"][0]["ipam"] == {"type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": "true"}
    ds = find(objects, "DaemonSet", "calico-node")
    env = env_of(ds)
    assert env["CALICO_IPV4POOL_CIDR"] == "192.168.0.0/16" and env["CALICO_IPV6POOL_CIDR"] == "fd00:10:244::/56"
    assert env["FELIX_PROMETHEUSMETRICSENABLED"] == "true" and env["FELIX_PROMETHEUSMETRICSPORT"] == "9091"
    assert ds["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 9091, "name": "metrics", "protocol": "TCP"}]
    typha = find(objects, "Deployment", "calico-typha")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "TYPHA_PROMETHEUSMETRICSPORT", "value": "9093"} in typha["env"]
    assert "FELIX_VXLANMTUV6" in env and "FELIX_WIREGUARDMTUV6" in env


@pytest.mark.parametrize("case, veth, tunnels", [
    ("ipip-mtu1400", 1400, {"FELIX_IPINIPMTU": "1400", "FELIX_VXLANMTU": "1400", "FELIX_WIREGUARDMTU": "1400"}),
    ("vxlan-host9001", 8951, {"FELIX_IPINIPMTU": "8981", "FELIX_VXLANMTU": "8951", "FELIX_WIREGUARDMTU": "8941"}),
    ("ipip-wg-host1500", 1440, {"FELIX_IPINIPMTU": "1480", "FELIX_VXLANMTU": "1450", "FELIX_WIREGUARDMTU": "1440"}),
    ("ipip-auto", 0, {"FELIX_IPINIPMTU": "0", "FELIX_VXLANMTU": "0", "FELIX_WIREGUARDMTU": "0"}),
])
def test_mtu_reaches_veth_mtu_the_cni_config_and_felix(rendered, case, veth, tunnels):
    objects = rendered[case]
    cm = find(objects, "ConfigMap", "calico-config")["data"]
    assert cm["veth_mtu"] == str(veth)
    cni = json.loads(cm["cni_network_config"])
    assert cni["plugins"][0]["type"] == "calico" and cni["plugins"][0]["mtu"] == veth
    assert cni["plugins"][0]["datastore_type"] == "kubernetes" and cni["plugins"][1]["type"] == "portmap"
    env = env_of(find(objects, "DaemonSet", "calico-node"))
    assert {k: env[k] for k in tunnels} == tunnels
    assert settings(CASES[case])["mtu"]["veth"] == veth          # the calico role's number (_node.mtu.compute)


if __name__ == "__main__":      # the child process of ``rendered``: cases on stdin, objects on stdout
    json.dump({name: render(case) for name, case in json.load(sys.stdin).items()}, sys.stdout)
