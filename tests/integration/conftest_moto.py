"""moto's EC2 server on loopback, for the AWS module tests.

Import the fixtures into a test module (``from conftest_moto import moto_server, moto``). The server
is a real process (``python -m moto.server``) on a free 127.0.0.1 port, shared by the session and
reset (POST /moto-api/reset) before each test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from conftest import free_port, stop_process

REGION = "eu-west-1"
CREDS = {"access_key": "testing", "secret_key": "testing", "region": REGION}


class MotoServer:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        exe = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        cmd = [exe] if exe else [sys.executable, "-m", "moto.server"]
        self.log = open(self.workdir / "moto.log", "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EC2_"))}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        self.proc = subprocess.Popen(cmd + ["-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited: {(self.workdir / 'moto.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=1):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError("moto_server did not answer in 30 s")

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


class Ec2Lab:
    """Setup and read-back through a separate boto3 client (not the module's)."""

    _ami: str | None = None  # moto's built-in AMIs are the same after every reset

    def __init__(self, endpoint: str) -> None:
        import boto3
        self.endpoint = endpoint
        self.ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=REGION,
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        vpc = self.ec2.create_vpc(CidrBlock="198.18.0.0/16")["Vpc"]["VpcId"]
        self.subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="198.18.0.0/20")["Subnet"]["SubnetId"]
        if Ec2Lab._ami is None:
            Ec2Lab._ami = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.ami = Ec2Lab._ami

    def args(self, **extra) -> dict:
        return {**CREDS, "endpoint_url": self.endpoint, **extra}

    def launch(self, count: int, per_reservation: int = 1) -> list[dict]:
        """``count`` instances in reservations of ``per_reservation`` (moto pages by reservation)."""
        out: list[dict] = []
        while len(out) < count:
            n = min(per_reservation, count - len(out))
            out += self.ec2.run_instances(ImageId=self.ami, MinCount=n, MaxCount=n, InstanceType="t3.micro",
                                          SubnetId=self.subnet)["Instances"]
        return out

    @staticmethod
    def primary(instance: dict) -> str:
        return next(e["NetworkInterfaceId"] for e in instance["NetworkInterfaces"]
                    if e["Attachment"]["DeviceIndex"] == 0)

    def eni_flags(self, eni_ids: list[str]) -> dict[str, bool]:
        """SourceDestCheck of each ENI, read with DescribeNetworkInterfaces (the ENI's own state)."""
        out: dict[str, bool] = {}
        for i in range(0, len(eni_ids), 100):
            for e in self.ec2.describe_network_interfaces(NetworkInterfaceIds=eni_ids[i:i + 100])["NetworkInterfaces"]:
                out[e["NetworkInterfaceId"]] = e["SourceDestCheck"]
        return out

    def set_flag(self, eni_id: str, value: bool) -> None:
        self.ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, SourceDestCheck={"Value": value})


class Requests:
    """Every EC2 request the module's clients send (botocore ``before-send``), as (action, params)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def hook(self, client) -> None:
        client.meta.events.register("before-send.ec2", self._record)

    def _record(self, request, **kwargs) -> None:
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        params = {k: v[0] for k, v in parse_qs(body).items()}
        self.sent.append((params.get("Action", "?"), params))

    def of(self, action: str) -> list[dict]:
        return [p for a, p in self.sent if a == action]

    def clear(self) -> None:
        self.sent.clear()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    srv = MotoServer(tmp_path_factory.mktemp("moto"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture()
def moto(moto_server, aws_env):
    """A freshly reset moto with one VPC and subnet; yields an Ec2Lab. No AWS settings of the
    caller's environment apply (see aws_env)."""
    if moto_server.proc is None or moto_server.proc.poll() is not None:
        moto_server.start()
    moto_server.reset()
    yield Ec2Lab(moto_server.endpoint)


@pytest.fixture()
def aws_env(monkeypatch, tmp_path):
    """No AWS settings leak in from the environment, shared files or instance metadata."""
    for var in list(os.environ):
        if var.startswith(("AWS_", "EC2_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture()
def requests_sent(aws_env):
    """Counts the requests of every EC2 client the module creates (through _aws.CLIENT_HOOKS)."""
    from ansible_collections.netops.calico.plugins.module_utils import _aws
    rec = Requests()
    _aws.CLIENT_HOOKS.append(rec.hook)
    try:
        yield rec
    finally:
        _aws.CLIENT_HOOKS.remove(rec.hook)
