"""playbooks/site.yml as an AWX / Automation Controller job: through ansible-runner (the engine
AWX's job templates use) with a private data directory laid out as AWX passes it
(scripts/awx_job.py): the project, the inventory as AWX's inventory script, the survey's answer and
the job template's variables in env/extravars, the credentials as AWX injects them (etcd TLS
client certificate and key as files whose paths are in env vars and extra vars, AWS keys as env
vars), and the job read back from its events.

The lab is scripts/lab.sh's, under other names (LAB_NAME=calico-awx, 198.18.210.0/24): three
systemd hosts from localhost/calico-host:bookworm and etcd with mutual TLS; calico-awx-node2's NIC
has MTU 1400, the others 1500. AWS is moto's EC2 server on loopback, one instance per host. The
lab is removed at the end of the module, also on failure.

Job slicing: AWX gives slice i of n the hosts sorted by name, [i-1::n], so with two slices
calico-awx-node2 (the small MTU) is alone in slice 2 and slice 1 never sees it. Both slices run at
once against an empty datastore, and must leave it as one whole job did."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, _wipe
from conftest_moto import REGION, Ec2Lab, moto_server  # noqa: F401  # pylint: disable=unused-import
from tlsutil import make_pki

sys.path.insert(0, str(REPO / "scripts"))
import awx_job  # noqa: E402  # pylint: disable=wrong-import-position

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("podman"),
                       reason="the lab needs root and podman (CI runs as root)"),
]

LAB, NET = "calico-awx", "198.18.210"
NODES = [f"{LAB}-node{i}" for i in (1, 2, 3)]
SMALL, SMALL_MTU = f"{LAB}-node2", 1400
ETCD = f"https://{NET}.2:2379"
SURVEY_ANSWER = "encapsulationMode: ipip\nipipMode: CrossSubnet\nlogSeverityScreen: info\n"
# the steps of the calico role an operator looks for in the job's output, per host or once
HOST_STEPS = ("Detect the host MTU as Felix does", "Write the Node resource from localhost")
ONCE_STEPS = ("Pools, FelixConfiguration and BGPConfiguration from the spec",
              "Source/destination check of the nodes' primary network interfaces (kOps awsSrcDstCheck)",
              "The datastore matches the spec")


class Lab:
    def __init__(self, root: Path, pki: dict[str, str], ec2: Ec2Lab) -> None:
        self.root, self.pki, self.ec2 = root, pki, ec2
        self.instances = {n: i["InstanceId"] for n, i in zip(NODES, ec2.launch(len(NODES)))}
        self.jobs: list[awx_job.Job] = []

    def kv(self):
        from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV
        return EtcdKV(ETCD, ca_cert=self.pki["ca"], cert=self.pki["client_cert"], key=self.pki["client_key"])

    def snapshot(self) -> dict[str, object]:
        """Every /calico/ key and value; of a resource's metadata, the uid and creation time (new on
        every create, by anyone) are left out. Revisions are not part of the values."""
        out = {}
        for item in self.kv().range("/calico/"):
            try:
                value = json.loads(item.raw)
            except ValueError:
                value = item.raw.decode()
            if isinstance(value, dict) and isinstance(value.get("metadata"), dict):
                for k in ("uid", "creationTimestamp", "resourceVersion"):
                    value["metadata"].pop(k, None)
            out[item.key] = value
        return out

    def inventory(self) -> dict:
        """playbooks/inventory/lab.yml for this lab, as AWX imports it; the datastore comes from
        the credential and the spec from the survey, so neither is in it."""
        text = json.dumps(awx_job.export_inventory(str(REPO / "playbooks/inventory/lab.yml")))
        inv = json.loads(text.replace("calico-lab-node", f"{LAB}-node").replace("198.18.200.", f"{NET}."))
        inv["all"]["vars"].pop("calico_etcd_endpoints")
        inv["calico_nodes"]["vars"].pop("calico_networking")
        inv["_meta"]["hostvars"] = {n: {"calico_aws_instance": i} for n, i in self.instances.items()}
        return inv

    def job(self, ident: str, inventory: dict) -> tuple[Path, str, str]:
        creds = {"ca": Path(self.pki["ca"]).read_text(), "cert": Path(self.pki["client_cert"]).read_text(),
                 "key": Path(self.pki["client_key"]).read_text()}
        tls = {"ca": "{{ tower.filename.ca }}", "cert": "{{ tower.filename.cert }}",
               "key": "{{ tower.filename.key }}"}
        extravars = {
            # the survey's answer, and the job template's variables
            "calico_networking_yaml": SURVEY_ANSWER,
            "calico_networking": "{{ calico_networking_yaml | from_yaml }}",
            "calico_cloud": "aws",
            "calico_aws_region": REGION,
            "calico_aws_endpoint_url": self.ec2.endpoint,
            # the etcd credential's extra_vars injector: the hosts get the files, the Node
            # resources are written from the controller with its copies
            "calico_node_etcd_tls_src": tls,
            "calico_node_delegate_connection": {"etcd_ca_cert_file": tls["ca"], "etcd_cert_file": tls["cert"],
                                                "etcd_key_file": tls["key"]},
        }
        envvars = {
            # the etcd credential's env injector
            "DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": ETCD, "ETCD_CA_CERT_FILE": tls["ca"],
            "ETCD_CERT_FILE": tls["cert"], "ETCD_KEY_FILE": tls["key"],
            # AWX's built-in Amazon Web Services credential
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        }
        pdd = awx_job.private_data_dir(self.root / ident, inventory, extravars, envvars, creds)
        return pdd, "playbooks/site.yml", ident

    def run(self, *jobs: tuple[str, dict]) -> list[awx_job.Job]:
        done = awx_job.run_jobs([self.job(ident, inv) for ident, inv in jobs])
        self.jobs += done
        for j in done:
            print(j.summary())
        return done


def sh(*cmd: str, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout, check=False)
    assert p.returncode == 0, f"{' '.join(cmd)}: {p.stdout[-3000:]}{p.stderr[-3000:]}"
    return p


@pytest.fixture(scope="module")
def lab(tmp_path_factory, moto_server):  # noqa: F811
    root = tmp_path_factory.mktemp("awx")
    pki = make_pki(root / "pki", "etcd", ips=(f"{NET}.2",))
    lab_pki = root / "lab-pki"          # the names scripts/lab.sh wants
    lab_pki.mkdir()
    for src, dst in (("ca", "ca"), ("cert", "server"), ("key", "server-key"), ("client_cert", "client"),
                     ("client_key", "client-key")):
        shutil.copy(pki[src], lab_pki / f"{dst}.pem")
    env = dict(os.environ, LAB_NAME=LAB, LAB_NET=NET, LAB_ETCD_PKI=str(lab_pki))
    try:
        sh("bash", "scripts/lab.sh", "up", env=env)
        sh("podman", "exec", SMALL, "ip", "link", "set", "dev", "eth0", "mtu", str(SMALL_MTU))
        moto_server.reset()
        yield Lab(root, pki, Ec2Lab(moto_server.endpoint))
    finally:
        subprocess.run(["bash", "scripts/lab.sh", "down"], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, check=False, timeout=300)


@pytest.fixture(scope="module")
def whole(lab):
    """One unsliced job, then the same job again; the datastore after the first."""
    first, = lab.run(("whole", lab.inventory()))
    snap = lab.snapshot()
    second, = lab.run(("whole-again", lab.inventory()))
    return first, second, snap


def ok_tasks(job: awx_job.Job) -> dict[str, set[str]]:
    """Task name -> hosts it ran on (ok or changed), from the job's runner_on_ok events."""
    out: dict[str, set[str]] = {}
    for e in job.events:
        d = e.get("event_data") or {}
        if e.get("event") == "runner_on_ok":
            out.setdefault(d.get("task", ""), set()).add(d.get("host"))
    return out


def assert_successful(job: awx_job.Job, hosts: list[str]) -> None:
    assert job.status == "successful" and job.rc == 0, job.summary() + "".join(
        f"\n  {(e.get('event_data') or {}).get('task')}: {(e.get('event_data') or {}).get('res', {}).get('msg')}"
        for e in job.failed_events())
    assert not job.failed_events()
    assert sorted(job.count("ok")) == sorted(hosts), job.summary()
    assert not job.count("failures") and not job.count("dark"), job.summary()


def felix_mtu(snap: dict) -> int:
    return snap["/calico/resources/v3/projectcalico.org/felixconfigurations/default"]["spec"]["ipipMTU"]


def test_site_as_an_awx_job(lab, whole):
    first, second, snap = whole
    assert_successful(first, NODES)
    tasks = ok_tasks(first)
    for step in HOST_STEPS:
        assert tasks.get(step) == set(NODES), (step, sorted(tasks))
    for step in ONCE_STEPS:
        assert step in tasks, (step, sorted(tasks))
    assert sum(first.count("changed").values()) > 0
    # the whole job saw every host: the cluster MTU is the smallest host's, less IP-in-IP's 20
    assert felix_mtu(snap) == SMALL_MTU - 20
    assert sorted(k.rsplit("/", 1)[1] for k in snap if "/nodes/" in k) == NODES
    # the credential's files reached the hosts (calico-node's etcd client certificate)
    env = sh("podman", "exec", NODES[0], "cat", "/etc/calico/calico.env").stdout
    assert "ETCD_CERT_FILE=/etc/calico/pki/cert.pem" in env and f"ETCD_ENDPOINTS={ETCD}" in env, env
    # and AWS: every host's primary ENI has its source/destination check off
    enis = [Ec2Lab.primary(i) for r in lab.ec2.ec2.describe_instances(InstanceIds=list(lab.instances.values()))
            ["Reservations"] for i in r["Instances"]]
    assert lab.ec2.eni_flags(enis) == {e: False for e in enis}
    # a second job changes nothing
    assert_successful(second, NODES)
    assert second.count("changed") == {} or set(second.count("changed").values()) == {0}, second.summary()
    assert lab.snapshot() == snap


def test_two_slices_at_once_leave_the_datastore_as_one_job(lab, whole):
    _first, _second, snap = whole
    inv = lab.inventory()
    slices = [awx_job.slice_inventory(inv, n, 2) for n in (1, 2)]
    assert [awx_job.inventory_hosts(s) for s in slices] == [[NODES[0], NODES[2]], [SMALL]]
    _wipe(lab.kv())
    assert lab.snapshot() == {}

    one, two = lab.run(("slice1", slices[0]), ("slice2", slices[1]))
    assert_successful(one, [NODES[0], NODES[2]])
    assert_successful(two, [SMALL])
    after = lab.snapshot()
    # slice 1 never saw the 1400-byte host, and the cluster MTU is still the smallest of all
    assert felix_mtu(after) == SMALL_MTU - 20
    assert after == snap

    one, two = lab.run(("slice1-again", slices[0]), ("slice2-again", slices[1]))
    for job, hosts in ((one, [NODES[0], NODES[2]]), (two, [SMALL])):
        assert_successful(job, hosts)
        assert set(job.count("changed").values()) <= {0}, job.summary()
    assert lab.snapshot() == snap
