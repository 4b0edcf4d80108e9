"""aws_src_dst_check against moto's EC2 server on loopback: the module runs in-process through
Ansible's argument parsing and talks HTTP to moto (endpoint_url). What changed is read back through
DescribeNetworkInterfaces with a separate client; the module's own requests are counted with a
botocore ``before-send`` hook registered through _aws.CLIENT_HOOKS.

moto keeps the instance's SourceDestCheck and its ENI's apart (on AWS they are one flag), so every
read-back goes through the ENI."""

from __future__ import annotations

import time

import pytest

from conftest_moto import REGION, aws_env, moto, moto_server, requests_sent  # noqa: F401  # pylint: disable=unused-import

MOD = "aws_src_dst_check"
MODIFY = "ModifyNetworkInterfaceAttribute"
DESCRIBE = "DescribeInstances"


def test_one_instance_rhythm(moto, requests_sent, run_module):
    inst = moto.launch(1)[0]
    iid, eni = inst["InstanceId"], moto.primary(inst)
    args = moto.args(instances=[iid], mode="Disable")

    r = run_module(MOD, args, check=True)
    assert not r.failed and r["changed"] is True
    assert r["diff"] == [{"before_header": f"Instance {iid}", "after_header": f"Instance {iid}",
                          "before": {"network_interface_id": eni, "source_dest_check": True},
                          "after": {"network_interface_id": eni, "source_dest_check": False}}]
    assert r["instances"] == [{"instance_id": iid, "requested": [iid], "private_dns_name": inst["PrivateDnsName"],
                               "network_interface_id": eni, "source_dest_check_before": True,
                               "source_dest_check": False, "changed": True}]
    assert requests_sent.of(MODIFY) == [], "check mode sent a modify request"
    assert moto.eni_flags([eni]) == {eni: True}

    requests_sent.clear()
    r = run_module(MOD, args)
    assert r["changed"] is True and r["instances"][0]["source_dest_check"] is False
    assert [p["NetworkInterfaceId"] for p in requests_sent.of(MODIFY)] == [eni]
    assert requests_sent.of(MODIFY)[0]["SourceDestCheck.Value"] == "false"
    assert moto.eni_flags([eni]) == {eni: False}
    assert r["iam_policy"]["Statement"][0]["Action"] == ["ec2:DescribeInstances",
                                                         "ec2:ModifyNetworkInterfaceAttribute"]

    for check in (True, False):  # check again, apply again: nothing to do
        requests_sent.clear()
        r = run_module(MOD, args, check=check)
        assert r["changed"] is False and r["instances"][0]["changed"] is False
        assert r["diff"] == []
        assert requests_sent.of(MODIFY) == []
        assert {action for action, params in requests_sent.sent} == {DESCRIBE}
    assert moto.eni_flags([eni]) == {eni: False}

    requests_sent.clear()
    r = run_module(MOD, {**args, "mode": "Enable"})
    assert r["changed"] is True and r["diff"][0]["after"]["source_dest_check"] is True
    assert len(requests_sent.of(MODIFY)) == 1 and moto.eni_flags([eni]) == {eni: True}

    requests_sent.clear()
    r = run_module(MOD, moto.args(instances=[iid], aws_src_dst_check="DoNothing"))
    assert r["changed"] is False and r["instances"] == [] and r["iam_policy"] is None
    assert requests_sent.sent == [], "DoNothing made AWS calls"
    assert moto.eni_flags([eni]) == {eni: True}


@pytest.mark.slow
def test_200_instances_paged_and_idempotent(moto, requests_sent, run_module):
    t0 = time.monotonic()
    insts = moto.launch(200, per_reservation=10)  # 20 reservations: moto pages by reservation
    enis = [moto.primary(i) for i in insts]
    already = enis[::7]  # some are already off: those must not be modified
    for e in already:
        moto.set_flag(e, False)
    setup = time.monotonic() - t0
    args = moto.args(instances=[i["InstanceId"] for i in insts], page_size=5)

    t0 = time.monotonic()
    r = run_module(MOD, args)
    first = time.monotonic() - t0
    assert not r.failed and r["changed"] is True
    assert len(r["instances"]) == 200
    assert sum(row["changed"] for row in r["instances"]) == 200 - len(already)
    describes = requests_sent.of(DESCRIBE)
    assert len(describes) > 1 and all(p["MaxResults"] == "5" for p in describes)
    assert sum("NextToken" in p for p in describes) == len(describes) - 1, "pages were not followed"
    modified = [p["NetworkInterfaceId"] for p in requests_sent.of(MODIFY)]
    assert sorted(modified) == sorted(set(enis) - set(already))
    assert set(moto.eni_flags(enis).values()) == {False}

    requests_sent.clear()
    t0 = time.monotonic()
    r = run_module(MOD, args)
    second = time.monotonic() - t0
    assert r["changed"] is False and not any(row["changed"] for row in r["instances"])
    assert requests_sent.of(MODIFY) == [] and len(requests_sent.of(DESCRIBE)) == len(describes)
    print(f"\n200 instances: setup {setup:.1f}s, first run {first:.2f}s, second run {second:.2f}s, "
          f"{len(describes)} DescribeInstances pages")


def test_resolution_by_private_dns_name_and_hostname(moto, requests_sent, run_module):
    a, b, c = moto.launch(3)
    dns_a = a["PrivateDnsName"]
    assert dns_a.endswith(".compute.internal")
    short_b = "ip-" + b["PrivateIpAddress"].replace(".", "-")
    # the same instance named twice (ID and DNS name) is handled once
    r = run_module(MOD, moto.args(instances=[dns_a.upper(), short_b, c["InstanceId"], c["PrivateDnsName"],
                                             c["InstanceId"]]))
    assert not r.failed, r.get("msg")
    rows = {row["instance_id"]: row for row in r["instances"]}
    assert list(rows) == [a["InstanceId"], b["InstanceId"], c["InstanceId"]]
    assert rows[a["InstanceId"]]["requested"] == [dns_a.upper()]
    assert rows[b["InstanceId"]]["requested"] == [short_b]
    assert rows[c["InstanceId"]]["requested"] == [c["InstanceId"], c["PrivateDnsName"]]
    assert len(requests_sent.of(MODIFY)) == 3
    assert set(moto.eni_flags([moto.primary(i) for i in (a, b, c)]).values()) == {False}


def test_only_the_primary_interface(moto, run_module):
    inst = moto.launch(1)[0]
    second = moto.ec2.create_network_interface(SubnetId=moto.subnet)["NetworkInterface"]["NetworkInterfaceId"]
    moto.ec2.attach_network_interface(NetworkInterfaceId=second, InstanceId=inst["InstanceId"], DeviceIndex=1)
    r = run_module(MOD, moto.args(instances=[inst["InstanceId"]]))
    assert r["changed"] is True and r["instances"][0]["network_interface_id"] == moto.primary(inst)
    assert moto.eni_flags([moto.primary(inst), second]) == {moto.primary(inst): False, second: True}


def test_bad_references_fail_with_nothing_changed(moto, requests_sent, run_module):
    good = moto.launch(1)[0]
    missing = "i-0123456789abcdef0"
    r = run_module(MOD, moto.args(instances=[good["InstanceId"], "i-123", missing, "ip-198-18-9-9",
                                             "ip-10-99-0-1.eu-west-1.compute.internal", "node1"]))
    assert r.failed and r["changed"] is False
    msg = r["msg"]
    assert "nothing was changed" in msg
    assert "'i-123': malformed instance ID" in msg and "InvalidInstanceID.Malformed" in msg
    assert f"instance IDs not found in region {REGION} (InvalidInstanceID.NotFound): {missing}" in msg
    assert "resolve to no live instance" in msg and "ip-198-18-9-9" in msg
    assert "ip-10-99-0-1.eu-west-1.compute.internal" in msg
    assert "'node1': neither an instance ID" in msg
    assert good["InstanceId"] not in msg
    assert requests_sent.of(MODIFY) == []
    assert moto.eni_flags([moto.primary(good)]) == {moto.primary(good): True}


def test_terminated_instance_is_refused(moto, run_module):
    a, b = moto.launch(2)
    moto.ec2.terminate_instances(InstanceIds=[b["InstanceId"]])
    r = run_module(MOD, moto.args(instances=[a["InstanceId"], b["InstanceId"]]))
    assert r.failed and "Nothing was changed" in r["msg"]
    assert f"{b['InstanceId']} is terminated" in r["msg"]
    assert moto.eni_flags([moto.primary(a)]) == {moto.primary(a): True}
    # and by name, a terminated instance does not resolve at all
    r = run_module(MOD, moto.args(instances=[b["PrivateDnsName"]]))
    assert r.failed and "resolve to no live instance" in r["msg"]


def test_missing_credentials(moto, requests_sent, run_module):
    inst = moto.launch(1)[0]
    r = run_module(MOD, {"instances": [inst["InstanceId"]], "region": REGION, "endpoint_url": moto.endpoint})
    assert r.failed
    for word in ("No AWS credentials", "access_key", "secret_key", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "profile", "AWS_PROFILE"):
        assert word in r["msg"]
    assert requests_sent.sent == []


def test_no_region(moto, requests_sent, run_module):
    r = run_module(MOD, {"instances": ["i-0123456789abcdef0"], "access_key": "testing", "secret_key": "testing",
                         "endpoint_url": moto.endpoint})
    assert r.failed and "No AWS region" in r["msg"] and "AWS_REGION" in r["msg"]
    assert requests_sent.sent == []


def test_unknown_profile(moto, run_module):
    r = run_module(MOD, {"instances": ["i-0123456789abcdef0"], "profile": "nope", "region": REGION,
                         "endpoint_url": moto.endpoint})
    assert r.failed and "nope" in r["msg"] and "~/.aws/credentials" in r["msg"]


def test_profile_and_keys_are_exclusive(moto, run_module):
    r = run_module(MOD, moto.args(instances=["i-0123456789abcdef0"], profile="x"))
    assert r.failed and "mutually exclusive" in r["msg"]


def test_environment_fallbacks_and_aliases(moto, aws_env, requests_sent, run_module):
    inst = moto.launch(1)[0]
    aws_env.setenv("AWS_ACCESS_KEY_ID", "testing")
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws_env.setenv("AWS_DEFAULT_REGION", REGION)
    r = run_module(MOD, {"instances": [inst["InstanceId"]], "aws_endpoint_url": moto.endpoint})
    assert not r.failed, r.get("msg")
    assert r["changed"] is True
    aws_env.setenv("EC2_URL", moto.endpoint)
    r = run_module(MOD, {"instances": [inst["InstanceId"]], "aws_src_dst_check": "Enable"})
    assert r["changed"] is True and moto.eni_flags([moto.primary(inst)]) == {moto.primary(inst): True}


def test_profile_from_shared_files(moto, aws_env, tmp_path, run_module):
    inst = moto.launch(1)[0]
    (tmp_path / "credentials").write_text("[calico]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    (tmp_path / "config").write_text(f"[profile calico]\nregion = {REGION}\n")
    aws_env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    aws_env.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    aws_env.setenv("AWS_PROFILE", "calico")
    r = run_module(MOD, {"instances": [inst["InstanceId"]], "ec2_url": moto.endpoint})
    assert not r.failed, r.get("msg")
    assert r["changed"] is True and moto.eni_flags([moto.primary(inst)]) == {moto.primary(inst): False}


def test_throttling_is_retried(moto, requests_sent, run_module, monkeypatch):
    """The first two DescribeInstances requests get EC2's throttling answer (HTTP 503
    RequestLimitExceeded, injected with a botocore before-send handler that answers instead of moto);
    the module retries and succeeds. Every request is still counted."""
    from botocore.awsrequest import AWSResponse

    from ansible_collections.netops.calico.plugins.module_utils import _aws

    from ansible.module_utils.basic import AnsibleModule

    logged: list[str] = []
    monkeypatch.setattr(AnsibleModule, "log", lambda self, msg, log_args=None: logged.append(msg))
    inst = moto.launch(1)[0]
    left = {"n": 2}
    body = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>'
            b'<Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>')

    class Raw:
        def stream(self, **kw):
            yield body

    def throttle(request, **kwargs):
        if left["n"] > 0:
            left["n"] -= 1
            return AWSResponse(request.url, 503, {}, Raw())
        return None

    def hook(client):
        client.meta.events.register_last("before-send.ec2.DescribeInstances", throttle)

    _aws.CLIENT_HOOKS.append(hook)
    try:
        r = run_module(MOD, moto.args(instances=[inst["InstanceId"]]))
    finally:
        _aws.CLIENT_HOOKS.remove(hook)
    assert not r.failed, r.get("msg")
    assert r["changed"] is True and left["n"] == 0
    assert len(requests_sent.of(DESCRIBE)) == 3  # two throttled + one answered
    retries = [m for m in logged if "RequestLimitExceeded" in m]
    assert [m.split(";")[1].split(" in ")[0] for m in retries] == [" retry 1 of 5", " retry 2 of 5"]


def test_throttling_gives_up_after_bounded_attempts(moto, requests_sent, run_module, monkeypatch):
    from botocore.awsrequest import AWSResponse

    from ansible_collections.netops.calico.plugins.module_utils import _aws

    monkeypatch.setattr(_aws.RetryPolicy, "__init__", _fast_policy_init(_aws.RetryPolicy.__init__))
    body = (b'<Response><Errors><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></Errors>'
            b'<RequestID>x</RequestID></Response>')

    class Raw:
        def stream(self, **kw):
            yield body

    def hook(client):
        client.meta.events.register_last(
            "before-send.ec2", lambda request, **kw: AWSResponse(request.url, 400, {}, Raw()))

    _aws.CLIENT_HOOKS.append(hook)
    try:
        r = run_module(MOD, moto.args(instances=["i-0123456789abcdef0"]))
    finally:
        _aws.CLIENT_HOOKS.remove(hook)
    assert r.failed and "still failed after 6 attempts (Throttling)" in r["msg"]
    assert len(requests_sent.of(DESCRIBE)) == 6


def _fast_policy_init(orig):
    def init(self, *a, **kw):
        orig(self, *a, **kw)
        self.base, self.cap = 0.001, 0.002
    return init


def test_page_size_bounds(moto, run_module):
    r = run_module(MOD, moto.args(instances=["i-0123456789abcdef0"], page_size=2))
    assert r.failed and "page_size must be between 5 and 1000" in r["msg"]
