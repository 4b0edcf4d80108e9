"""Pure parts of _aws: kOps mode mapping, reference classification, primary-ENI selection,
planning and diff, IAM policy, retry policy, connection arguments."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ansible_collections.netops.calico.plugins.module_utils import _aws


@pytest.mark.parametrize("mode,value", [("Enable", True), ("Disable", False), ("DoNothing", None)])
def test_mode_mapping(mode, value):
    assert _aws.desired_source_dest_check(mode) is value


@pytest.mark.parametrize("mode", ["disable", "", "Off", None])
def test_unknown_mode(mode):
    with pytest.raises(ValueError, match='supported values: "Enable", "Disable", "DoNothing"'):
        _aws.desired_source_dest_check(mode)


def test_default_mode_is_kops_aws_default():
    assert _aws.DEFAULT_MODE == "Disable"


@pytest.mark.parametrize("mode", ["Enable", "Disable"])
def test_iam_policy(mode):
    doc = _aws.iam_policy(mode)
    assert doc["Version"] == "2012-10-17"
    assert doc["Statement"] == [{"Sid": "CalicoSrcDstCheck", "Effect": "Allow",
                                 "Action": ["ec2:DescribeInstances", "ec2:ModifyNetworkInterfaceAttribute"],
                                 "Resource": "*"}]
    json.dumps(doc)


def test_iam_policy_do_nothing_needs_none():
    assert _aws.iam_policy("DoNothing") is None


@pytest.mark.parametrize("text,kind,value", [
    ("i-0123456789abcdef0", "id", "i-0123456789abcdef0"),
    ("i-0123abcd", "id", "i-0123abcd"),
    (" i-0123abcd ", "id", "i-0123abcd"),
    ("i-123", "invalid", "i-123"),
    ("i-0123456789ABCDEF0", "invalid", "i-0123456789ABCDEF0"),
    ("i-0123456789abcdef0g", "invalid", "i-0123456789abcdef0g"),
    ("ip-10-0-1-2.eu-west-1.compute.internal", "dns", "ip-10-0-1-2.eu-west-1.compute.internal"),
    ("IP-10-0-1-2.EC2.Internal.", "dns", "ip-10-0-1-2.ec2.internal"),
    ("i-0123456789abcdef0.eu-west-1.compute.internal", "dns", "i-0123456789abcdef0.eu-west-1.compute.internal"),
    ("ip-10-0-1-2", "ip", "10.0.1.2"),
    ("ip-10-0-1-256", "invalid", "ip-10-0-1-256"),
    ("node1", "invalid", "node1"),
    ("", "invalid", ""),
])
def test_classify(text, kind, value):
    ref = _aws.classify(text)
    assert (ref.kind, ref.value, ref.text) == (kind, value, text)
    assert bool(ref.problem) == (kind == "invalid")


def test_malformed_id_names_the_aws_error():
    assert "InvalidInstanceID.Malformed" in _aws.classify("i-123").problem


def eni(eid, device, card=None, sdc=True):
    att = {"DeviceIndex": device}
    if card is not None:
        att["NetworkCardIndex"] = card
    return {"NetworkInterfaceId": eid, "Attachment": att, "SourceDestCheck": sdc}


@pytest.mark.parametrize("enis,primary", [
    ([eni("eni-a", 0)], "eni-a"),
    ([eni("eni-b", 1), eni("eni-a", 0)], "eni-a"),
    ([eni("eni-c", 0, card=1), eni("eni-a", 0, card=0), eni("eni-b", 1, card=0)], "eni-a"),
    ([eni("eni-b", 1)], None),
    ([], None),
    (None, None),
    ([{"NetworkInterfaceId": "eni-x"}], None),  # detached: no attachment
])
def test_primary_eni(enis, primary):
    inst = {"InstanceId": "i-0123abcd"} if enis is None else {"InstanceId": "i-0123abcd", "NetworkInterfaces": enis}
    got = _aws.primary_eni(inst)
    assert (got or {}).get("NetworkInterfaceId") == primary


def instance(sdc, state="running", enis=None):
    return {"InstanceId": "i-0123abcd", "PrivateDnsName": "ip-10-0-1-2.ec2.internal", "State": {"Name": state},
            "NetworkInterfaces": enis if enis is not None else [eni("eni-b", 1, sdc=not sdc), eni("eni-a", 0, sdc=sdc)]}


@pytest.mark.parametrize("current,desired,changed", [
    (True, False, True), (False, False, False), (False, True, True), (True, True, False)])
def test_plan(current, desired, changed):
    row = _aws.plan(instance(current), desired)
    assert row == {"instance_id": "i-0123abcd", "requested": [], "private_dns_name": "ip-10-0-1-2.ec2.internal",
                   "network_interface_id": "eni-a", "source_dest_check_before": current,
                   "source_dest_check": desired, "changed": changed}


@pytest.mark.parametrize("inst,match", [
    (instance(True, state="terminated"), "i-0123abcd is terminated"),
    (instance(True, state="shutting-down"), "i-0123abcd is shutting-down"),
    (instance(True, enis=[]), "no primary network interface"),
    (instance(True, enis=[{"NetworkInterfaceId": "eni-a", "Attachment": {"DeviceIndex": 0}}]),
     "did not report SourceDestCheck"),
])
def test_plan_refuses(inst, match):
    with pytest.raises(_aws.AwsError, match=match):
        _aws.plan(inst, False)


def test_diff_is_per_instance_and_eni_sorted():
    rows = [{"instance_id": "i-3", "network_interface_id": "eni-3", "source_dest_check_before": True,
             "source_dest_check": False},
            {"instance_id": "i-2", "network_interface_id": "eni-2", "source_dest_check_before": True,
             "source_dest_check": False},
            {"instance_id": "i-1", "network_interface_id": "eni-1", "source_dest_check_before": False,
             "source_dest_check": False}]
    d = {e["before_header"]: e for e in _aws.diff(rows)}
    assert list(d) == ["Instance i-2", "Instance i-3"]                 # sorted; i-1 did not change
    assert d["Instance i-2"]["before"] == {"network_interface_id": "eni-2", "source_dest_check": True}
    assert d["Instance i-2"]["after"] == {"network_interface_id": "eni-2", "source_dest_check": False}


def test_chunks():
    assert list(_aws.chunks(list("abcde"), 2)) == [["a", "b"], ["c", "d"], ["e"]]
    assert list(_aws.chunks([], 2)) == []


# ---- retries

def client_error(code, status=400, op="DescribeInstances"):
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, op)


@pytest.mark.parametrize("exc,reason", [
    (client_error("RequestLimitExceeded", 503), "RequestLimitExceeded"),
    (client_error("Throttling"), "Throttling"),
    (client_error("ThrottlingException"), "ThrottlingException"),
    (client_error("InternalError", 500), "InternalError"),
    (client_error("Whatever", 502), "HTTP 502 Whatever"),
    (client_error("", 429), "HTTP 429"),
    (EndpointConnectionError(endpoint_url="http://x"), "EndpointConnectionError"),
    (client_error("InvalidInstanceID.NotFound"), None),
    (client_error("UnauthorizedOperation", 403), None),
    (ValueError("x"), None),
])
def test_retryable(exc, reason):
    assert _aws.retryable(exc) == reason


def test_backoff_is_exponential_and_capped():
    policy = _aws.RetryPolicy(attempts=10, base=0.5, cap=4.0, rand=lambda lo, hi: hi)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    jittered = _aws.RetryPolicy(base=1.0, cap=8.0)
    assert all(2.0 <= jittered.delay(3) <= 4.0 for attempt in range(50))


def test_call_with_retry_retries_then_succeeds():
    slept, logged = [], []
    errors = [client_error("RequestLimitExceeded", 503), client_error("Throttling")]

    def op(**kw):
        if errors:
            raise errors.pop(0)
        return kw

    policy = _aws.RetryPolicy(attempts=5, base=1, cap=3, sleep=slept.append, rand=lambda lo, hi: hi)
    assert _aws.call_with_retry(op, "describe_instances", policy, logged.append, A=1) == {"A": 1}
    assert slept == [1, 2]
    assert logged == ["describe_instances: RequestLimitExceeded; retry 1 of 4 in 1.00s",
                      "describe_instances: Throttling; retry 2 of 4 in 2.00s"]


def test_call_with_retry_is_bounded():
    calls, slept = [], []

    def op():
        calls.append(1)
        raise client_error("RequestLimitExceeded", 503)

    policy = _aws.RetryPolicy(attempts=4, base=1, cap=2, sleep=slept.append, rand=lambda lo, hi: hi)
    with pytest.raises(_aws.AwsError, match=r"still failed after 4 attempts \(RequestLimitExceeded\)"):
        _aws.call_with_retry(op, "describe_instances", policy, lambda m: None)
    assert len(calls) == 4 and slept == [1, 2, 2]


def test_call_with_retry_does_not_retry_other_errors():
    calls = []

    def op():
        calls.append(1)
        raise client_error("InvalidInstanceID.Malformed")

    with pytest.raises(ClientError):
        _aws.call_with_retry(op, "x", _aws.RetryPolicy(sleep=lambda s: None), lambda m: None)
    assert len(calls) == 1


# ---- errors

@pytest.mark.parametrize("code,op,parts", [
    ("UnauthorizedOperation", "modify_network_interface_attribute",
     ["need ec2:ModifyNetworkInterfaceAttribute", "iam_policy"]),
    ("UnauthorizedOperation", "describe_instances", ["need ec2:DescribeInstances"]),
    ("AuthFailure", "describe_instances", ["rejected the credentials", "AWS_ACCESS_KEY_ID"]),
    ("InvalidInstanceID.NotFound", "describe_instances", ["Bad instance IDs in region eu-west-1"]),
    ("Other", "describe_instances", ["describe_instances failed in region eu-west-1 (Other)"]),
])
def test_explain(code, op, parts):
    msg = _aws.explain(client_error(code), op, "eu-west-1")
    for part in parts:
        assert part in msg


def test_explain_names_instance_ids():
    exc = ClientError({"Error": {"Code": "InvalidInstanceID.NotFound",
                                 "Message": "The instance IDs 'i-0aaa1111, i-0bbb2222' do not exist"}}, "DescribeInstances")
    assert "i-0aaa1111, i-0bbb2222" in _aws.explain(exc, "describe_instances", "eu-west-1")


# ---- connection arguments

def test_argspec_names_mirror_amazon_aws():
    spec = _aws.aws_argspec()
    assert spec["access_key"]["aliases"] == ["aws_access_key_id", "aws_access_key"]
    assert spec["secret_key"]["aliases"] == ["aws_secret_access_key", "aws_secret_key"]
    assert spec["session_token"]["aliases"] == ["aws_session_token"]
    assert spec["endpoint_url"]["aliases"] == ["aws_endpoint_url", "ec2_url"]
    assert spec["region"]["fallback"][1] == ["AWS_REGION", "AWS_DEFAULT_REGION"]
    assert spec["access_key"]["fallback"][1][0] == "AWS_ACCESS_KEY_ID"
    assert spec["secret_key"]["no_log"] and spec["session_token"]["no_log"]


def test_session_kwargs():
    assert _aws.session_kwargs({"access_key": "a", "secret_key": "s", "session_token": None, "profile": None,
                                "region": "eu-west-1"}) == {"aws_access_key_id": "a", "aws_secret_access_key": "s",
                                                            "region_name": "eu-west-1"}
    assert _aws.session_kwargs({"profile": "p"}) == {"profile_name": "p"}
    with pytest.raises(_aws.AwsError, match="mutually exclusive"):
        _aws.session_kwargs({"profile": "p", "access_key": "a", "secret_key": "s"})


@pytest.mark.parametrize("params,kw", [
    ({}, {}),
    ({"endpoint_url": "http://127.0.0.1:5000", "validate_certs": True}, {"endpoint_url": "http://127.0.0.1:5000"}),
    ({"validate_certs": False}, {"verify": False}),
    ({"validate_certs": True, "aws_ca_bundle": "/ca.pem"}, {"verify": "/ca.pem"}),
    ({"validate_certs": False, "aws_ca_bundle": "/ca.pem"}, {"verify": False}),
])
def test_client_kwargs(params, kw):
    assert _aws.client_kwargs(params) == kw


# ---- module without boto3, and DoNothing without any AWS

def test_missing_boto3(run_module, monkeypatch):
    monkeypatch.setattr(_aws, "HAS_BOTO3", False)
    r = run_module("aws_src_dst_check", {"instances": ["i-0123abcd"], "region": "eu-west-1"})
    assert r.failed and "boto3" in r["msg"] and "Failed to import the required Python library" in r["msg"]


def test_do_nothing_needs_no_boto3_nor_credentials(run_module, monkeypatch):
    monkeypatch.setattr(_aws, "HAS_BOTO3", False)
    r = run_module("aws_src_dst_check", {"instances": ["i-0123abcd"], "mode": "DoNothing"})
    assert not r.failed and r["changed"] is False and r["instances"] == [] and r["iam_policy"] is None
