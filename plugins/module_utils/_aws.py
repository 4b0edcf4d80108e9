# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 source/destination check on the primary network interface of Calico nodes (kOps'
``awsSrcDstCheck``), through boto3.

kOps grants exactly ``ec2:DescribeInstances`` and ``ec2:ModifyNetworkInterfaceAttribute`` for this
(``pkg/model/iam/iam_builder.go`` ``addCalicoSrcDstCheckPermissions``), so this module reads only
through DescribeInstances (its ``NetworkInterfaces[].SourceDestCheck`` is the ENI's own flag) and
writes only through ModifyNetworkInterfaceAttribute.

Pure parts (mode mapping, reference classification, primary-ENI selection, planning, IAM policy)
need neither boto3 nor Ansible; ``connect`` and ``Ec2`` wrap the client: credentials, region,
paging, bounded retries with capped exponential backoff, and error translation.
"""

from __future__ import annotations

import ipaddress
import random
import re
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ansible.module_utils.basic import env_fallback

from ansible_collections.netops.calico.plugins.module_utils._batching import chunks
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError as BotoConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
    )
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None

# kOps' CalicoNetworkingSpec.awsSrcDstCheck -> the ENI's SourceDestCheck (None: leave it alone).
MODES: dict[str, bool | None] = {"Enable": True, "Disable": False, "DoNothing": None}
DEFAULT_MODE = "Disable"  # kOps' default on AWS IPv4 clusters

IAM_ACTIONS = ("ec2:DescribeInstances", "ec2:ModifyNetworkInterfaceAttribute")

PAGE_SIZE_RANGE = (5, 1000)  # DescribeInstances MaxResults bounds
FILTER_CHUNK = 200  # values per DescribeInstances filter in one request
LIVE_STATES = ("pending", "running", "stopping", "stopped")  # names never resolve to terminated ones

# Error codes worth retrying: throttling, and the service's own transient failures.
RETRYABLE_CODES = frozenset({
    "RequestLimitExceeded", "Throttling", "ThrottlingException", "ThrottledException",
    "RequestThrottled", "RequestThrottledException", "TooManyRequestsException", "SlowDown",
    "EC2ThrottledException", "BandwidthLimitExceeded", "PriorRequestNotComplete",
    "InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable",
    "RequestTimeout", "RequestTimeoutException",
})

CREDENTIALS_HINT = (
    "Set access_key and secret_key (environment AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, plus "
    "session_token / AWS_SESSION_TOKEN for temporary credentials), or profile (AWS_PROFILE) naming a "
    "profile in ~/.aws/credentials or ~/.aws/config, or run on a host whose instance profile or "
    "container role provides credentials."
)

_ID_LIKE = re.compile(r"^i-[^.]*$")
_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_IP_HOSTNAME = re.compile(r"^ip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$")

# Called with every EC2 client ``connect`` creates, before its first request. Tests register
# botocore event handlers here (to count the requests that really went out); nothing else uses it.
CLIENT_HOOKS: list[Callable[[Any], None]] = []


class AwsError(Exception):
    """A failure with a sentence saying what to do; ``instances`` holds what was already done."""

    def __init__(self, msg: str, instances: list[dict[str, Any]] | None = None) -> None:
        super().__init__(msg)
        self.instances = instances or []


# ---------------------------------------------------------------- pure parts

def desired_source_dest_check(mode: str) -> bool | None:
    """kOps' awsSrcDstCheck value -> the SourceDestCheck to set, or None for DoNothing."""
    try:
        return MODES[mode]
    except KeyError:
        raise ValueError(f"awsSrcDstCheck: Unsupported value: {mode!r}: supported values: "
                         + ", ".join(f'"{m}"' for m in MODES)) from None


def iam_policy(mode: str) -> dict[str, Any] | None:
    """The minimal IAM policy document the mode needs (kOps grants none for DoNothing).
    DescribeInstances has no resource-level permissions, so both actions are granted on ``*``
    as kOps does."""
    if desired_source_dest_check(mode) is None:
        return None
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CalicoSrcDstCheck",
            "Effect": "Allow",
            "Action": list(IAM_ACTIONS),
            "Resource": "*",
        }],
    }


@dataclass(frozen=True)
class Ref:
    """One user reference to an instance: ``kind`` is id, dns, ip or invalid."""
    text: str
    kind: str
    value: str
    problem: str = ""


def classify(text: str) -> Ref:
    """Instance ID (``i-`` + 8 or 17 hex digits), short EC2 hostname ``ip-10-0-1-2`` (looked up by
    primary private IP), or a private DNS name (anything with a dot, looked up by
    ``private-dns-name``); anything else is refused."""
    ref = text.strip()
    low = ref.lower()
    if _ID_LIKE.match(low):
        if _ID.match(ref):
            return Ref(text, "id", ref)
        return Ref(text, "invalid", ref, "malformed instance ID (InvalidInstanceID.Malformed: an ID is "
                                         "'i-' followed by 8 or 17 lowercase hexadecimal digits)")
    m = _IP_HOSTNAME.match(low)
    if m:
        try:
            return Ref(text, "ip", str(ipaddress.IPv4Address(".".join(m.groups()))))
        except ValueError:
            return Ref(text, "invalid", ref, "not a valid ip-A-B-C-D hostname")
    if "." in low and " " not in low:
        return Ref(text, "dns", low.rstrip("."))
    return Ref(text, "invalid", ref, "neither an instance ID (i-0123456789abcdef0), a private DNS name "
                                     "(ip-10-0-1-2.eu-west-1.compute.internal) nor an EC2 hostname (ip-10-0-1-2)")


def primary_eni(instance: dict[str, Any]) -> dict[str, Any] | None:
    """The instance's primary network interface: device index 0 on network card 0."""
    for eni in instance.get("NetworkInterfaces") or []:
        att = eni.get("Attachment") or {}
        if att.get("DeviceIndex") == 0 and (att.get("NetworkCardIndex") or 0) == 0:
            return eni
    return None


def plan(instance: dict[str, Any], desired: bool) -> dict[str, Any]:
    """What setting ``desired`` on this instance's primary ENI means: one result row.
    Raises AwsError when the instance has no primary ENI (terminated) or its flag is unknown."""
    iid = instance["InstanceId"]
    eni = primary_eni(instance)
    state = (instance.get("State") or {}).get("Name", "unknown")
    if state in ("shutting-down", "terminated"):
        raise AwsError(f"{iid} is {state}.")
    if eni is None:
        raise AwsError(f"{iid} has no primary network interface (device index 0); its state is {state}.")
    before = eni.get("SourceDestCheck")
    if not isinstance(before, bool):
        raise AwsError(f"DescribeInstances did not report SourceDestCheck for {eni.get('NetworkInterfaceId')} "
                       f"of {iid}.")
    return {
        "instance_id": iid,
        "requested": [],
        "private_dns_name": instance.get("PrivateDnsName") or "",
        "network_interface_id": eni["NetworkInterfaceId"],
        "source_dest_check_before": before,
        "source_dest_check": desired,
        "changed": before != desired,
    }


def diff(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """--diff (the change tracker's shape): each changed instance's primary ENI and its flag before
    and after (the compared data), keyed ``Instance/<id>``, in instance order."""
    changes = Changes()
    for r in sorted(rows, key=lambda r: r["instance_id"]):
        changes.record_view(f"Instance/{r['instance_id']}",
                            {"network_interface_id": r["network_interface_id"],
                             "source_dest_check": r["source_dest_check_before"]},
                            {"network_interface_id": r["network_interface_id"],
                             "source_dest_check": r["source_dest_check"]})
    return changes.diff()


# ---------------------------------------------------------------- retries

@dataclass
class RetryPolicy:
    """Bounded attempts with capped exponential backoff and jitter: the wait before retry n
    (n = 1, 2, ...) is uniform in [d/2, d] with d = min(cap, base * 2**(n-1))."""
    attempts: int = 6
    base: float = 0.5
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[float, float], float] = random.uniform

    def delay(self, n: int) -> float:
        d = min(self.cap, self.base * 2 ** (n - 1))
        return self.rand(d / 2, d)


def retryable(exc: BaseException) -> str | None:
    """Why ``exc`` is worth another attempt (a short reason), or None."""
    if HAS_BOTO3 and isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in RETRYABLE_CODES:
            return code
        if status == 429 or status >= 500:
            return f"HTTP {status} {code}".strip()
        return None
    if HAS_BOTO3 and isinstance(exc, (BotoConnectionError, ReadTimeoutError)):
        return type(exc).__name__
    return None


def call_with_retry(fn: Callable[..., Any], op: str, policy: RetryPolicy,
                    log: Callable[[str], None], **kwargs: Any) -> Any:
    """``fn(**kwargs)``, retried on throttling and transient errors; each retry is logged."""
    n = 0
    while True:
        try:
            return fn(**kwargs)
        except Exception as exc:
            reason = retryable(exc)
            n += 1
            if reason is None or n >= policy.attempts:
                if reason is not None:
                    raise AwsError(f"{op} still failed after {n} attempts ({reason}): {exc}. AWS is throttling "
                                   "or unavailable; run again later or with fewer instances at once.") from exc
                raise
            wait = policy.delay(n)
            log(f"{op}: {reason}; retry {n} of {policy.attempts - 1} in {wait:.2f}s")
            policy.sleep(wait)


# ---------------------------------------------------------------- connection

def aws_argspec() -> dict[str, Any]:
    """Connection options named as amazon.aws names them (plugins/module_utils/modules.py
    ``aws_argument_spec``), with the same environment fallbacks."""
    return {
        "access_key": {"type": "str", "aliases": ["aws_access_key_id", "aws_access_key"], "no_log": False,
                       "fallback": (env_fallback, ["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"])},
        "secret_key": {"type": "str", "aliases": ["aws_secret_access_key", "aws_secret_key"], "no_log": True,
                       "fallback": (env_fallback, ["AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"])},
        "session_token": {"type": "str", "aliases": ["aws_session_token"], "no_log": True,
                          "fallback": (env_fallback, ["AWS_SESSION_TOKEN"])},
        "profile": {"type": "str", "aliases": ["aws_profile"],
                    "fallback": (env_fallback, ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])},
        "region": {"type": "str", "aliases": ["aws_region"],
                   "fallback": (env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])},
        "endpoint_url": {"type": "str", "aliases": ["aws_endpoint_url", "ec2_url"],
                         "fallback": (env_fallback, ["AWS_URL", "EC2_URL"])},
        "validate_certs": {"type": "bool", "default": True},
        "aws_ca_bundle": {"type": "path", "fallback": (env_fallback, ["AWS_CA_BUNDLE"])},
    }


def session_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """boto3.Session arguments from the module options (None ones left to boto3's own chain)."""
    if params.get("profile") and (params.get("access_key") or params.get("secret_key")
                                  or params.get("session_token")):
        raise AwsError("profile and access_key/secret_key/session_token are mutually exclusive (also when they "
                       "come from AWS_PROFILE and AWS_ACCESS_KEY_ID...): set one way of authenticating.")
    kw = {"aws_access_key_id": params.get("access_key"), "aws_secret_access_key": params.get("secret_key"),
          "aws_session_token": params.get("session_token"), "profile_name": params.get("profile"),
          "region_name": params.get("region")}
    return {k: v for k, v in kw.items() if v}


def client_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """session.client("ec2", ...) arguments other than the retry config."""
    kw: dict[str, Any] = {}
    if params.get("endpoint_url"):
        kw["endpoint_url"] = params["endpoint_url"]
    if params.get("aws_ca_bundle") and params.get("validate_certs", True):
        kw["verify"] = params["aws_ca_bundle"]
    elif params.get("validate_certs") is False:
        kw["verify"] = False
    return kw


@dataclass
class Ec2:
    """The EC2 calls this module makes, each retried per ``policy`` and logged through ``log``."""
    client: Any
    region: str
    log: Callable[[str], None] = lambda msg: None
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def _call(self, op: str, **kwargs: Any) -> Any:
        try:
            return call_with_retry(getattr(self.client, op), op, self.policy, self.log, **kwargs)
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise AwsError(f"No usable AWS credentials ({exc}). {CREDENTIALS_HINT}") from exc
        except ClientError as exc:
            raise AwsError(explain(exc, op, self.region)) from exc
        except BotoCoreError as exc:
            raise AwsError(f"{op} failed: {exc}. Check endpoint_url, region and network access to EC2.") from exc

    def describe_instances(self, filters: list[dict[str, Any]], page_size: int) -> Iterator[dict[str, Any]]:
        """Every instance matching ``filters``, page by page (MaxResults/NextToken)."""
        token = None
        while True:
            kw: dict[str, Any] = {"Filters": filters, "MaxResults": page_size}
            if token:
                kw["NextToken"] = token
            page = self._call("describe_instances", **kw)
            for res in page.get("Reservations", []):
                yield from res.get("Instances", [])
            token = page.get("NextToken")
            if not token:
                return

    def set_source_dest_check(self, eni_id: str, value: bool) -> None:
        self._call("modify_network_interface_attribute", NetworkInterfaceId=eni_id,
                   SourceDestCheck={"Value": value})


class DryRunEc2:
    """Check mode for EC2, as ``_datastore.dryrun.DryRun`` is for the datastore: reads pass through
    to the wrapped ``Ec2``, each change is recorded in ``actions`` instead of being sent."""

    def __init__(self, ec2: Ec2) -> None:
        self.ec2 = ec2
        self.actions: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ec2, name)

    def set_source_dest_check(self, eni_id: str, value: bool) -> None:
        self.actions.append(("modify", f"{eni_id} SourceDestCheck={str(value).lower()}"))


def explain(exc: Any, op: str, region: str) -> str:
    err = exc.response.get("Error", {})
    code, message = err.get("Code", "Unknown"), err.get("Message", str(exc))
    if code in ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException"):
        action = {"describe_instances": "ec2:DescribeInstances",
                  "modify_network_interface_attribute": "ec2:ModifyNetworkInterfaceAttribute"}.get(op, op)
        return (f"{op} was refused ({code}): the credentials need {action}; grant the policy returned as "
                f"iam_policy ({', '.join(IAM_ACTIONS)}). {message}")
    if code in ("AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
                "ExpiredToken", "RequestExpired"):
        return f"AWS rejected the credentials ({code}: {message}). {CREDENTIALS_HINT}"
    if code.startswith("InvalidInstanceID"):
        ids = sorted(set(re.findall(r"i-[0-9A-Za-z]+", message)))
        return f"Bad instance IDs in region {region}: {', '.join(ids) or message} ({code}: {message})."
    return f"{op} failed in region {region} ({code}): {message}"


def connect(params: dict[str, Any], log: Callable[[str], None] = lambda msg: None,
            policy: RetryPolicy | None = None) -> Ec2:
    """An Ec2 wrapper for the module options; fails early, with the fix, on a missing region,
    unknown profile or missing credentials."""
    try:
        session = boto3.Session(**session_kwargs(params))
    except ProfileNotFound as exc:
        raise AwsError(f"{exc}: the profile option (or AWS_PROFILE) must name a profile in ~/.aws/config or "
                       "~/.aws/credentials (or the files AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE name).") from exc
    region = session.region_name
    if not region:
        raise AwsError("No AWS region: set the region option (or AWS_REGION / AWS_DEFAULT_REGION), "
                       "or a region in the profile's ~/.aws/config section.")
    try:
        creds = session.get_credentials()
    except BotoCoreError as exc:
        raise AwsError(f"Could not load AWS credentials ({exc}). {CREDENTIALS_HINT}") from exc
    if creds is None:
        raise AwsError(f"No AWS credentials found. {CREDENTIALS_HINT}")
    # Our own loop retries (and logs each retry); botocore's would multiply the attempts.
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10,
                    read_timeout=60, user_agent_extra="netops.calico")
    client = session.client("ec2", config=config, **client_kwargs(params))
    for hook in CLIENT_HOOKS:
        hook(client)
    return Ec2(client, region, log, policy or RetryPolicy())


# ---------------------------------------------------------------- the task

def resolve(ec2: Ec2, refs: list[str], page_size: int) -> list[tuple[list[str], dict[str, Any]]]:
    """Each distinct instance the references name, in the order first named, with the references
    that named it. All problems (malformed, not found, ambiguous) are reported together."""
    parsed = [classify(r) for r in refs]
    problems = [f"{r.text!r}: {r.problem}" for r in parsed if r.kind == "invalid"]

    found: dict[str, dict[str, dict[str, Any]]] = {"id": {}, "dns": {}, "ip": {}}
    by_key: dict[str, list[dict[str, Any]]] = {}
    queries = (("id", "instance-id", None, lambda i: [i["InstanceId"]]),
               ("dns", "private-dns-name", LIVE_STATES, lambda i: [(i.get("PrivateDnsName") or "").lower()]),
               ("ip", "private-ip-address", LIVE_STATES, lambda i: [i.get("PrivateIpAddress") or ""]))
    for kind, filter_name, states, keys in queries:
        values = sorted({r.value for r in parsed if r.kind == kind})
        for part in chunks(values, FILTER_CHUNK):
            filters = [{"Name": filter_name, "Values": part}]
            if states:
                filters.append({"Name": "instance-state-name", "Values": list(states)})
            for inst in ec2.describe_instances(filters, page_size):
                found[kind][inst["InstanceId"]] = inst
                for key in keys(inst):
                    by_key.setdefault(f"{kind}:{key}", []).append(inst)

    missing_ids, nothing, ambiguous = [], [], []
    out: dict[str, tuple[list[str], dict[str, Any]]] = {}
    for r in parsed:
        if r.kind == "invalid":
            continue
        matches = {i["InstanceId"]: i for i in by_key.get(f"{r.kind}:{r.value}", [])}
        if not matches:
            (missing_ids if r.kind == "id" else nothing).append(r.text)
        elif len(matches) > 1:
            ambiguous.append(f"{r.text!r} matches {', '.join(sorted(matches))}")
        else:
            iid, inst = next(iter(matches.items()))
            named = out.setdefault(iid, ([], inst))[0]
            if r.text not in named:
                named.append(r.text)
    if missing_ids:
        problems.append(f"instance IDs not found in region {ec2.region} (InvalidInstanceID.NotFound): "
                        + ", ".join(missing_ids))
    if nothing:
        problems.append(f"names that resolve to no live instance in region {ec2.region} (looked up by private DNS "
                        "name, or by private IP for ip-A-B-C-D hostnames): " + ", ".join(nothing))
    if ambiguous:
        problems.append("names matching several instances (use instance IDs): " + "; ".join(ambiguous))
    if problems:
        raise AwsError("Cannot resolve the instances, nothing was changed: " + "; ".join(problems) + ".")
    return list(out.values())


def ensure_source_dest_check(ec2: Ec2 | DryRunEc2, refs: list[str], mode: str, page_size: int = 100) -> dict[str, Any]:
    """Set SourceDestCheck on every named instance's primary ENI to what ``mode`` asks, only where
    it differs (in check mode ``ec2`` is a ``DryRunEc2``, which records the change instead).
    Returns changed, diff and one row per instance."""
    desired = desired_source_dest_check(mode)
    if desired is None:
        return {"changed": False, "instances": [], "diff": []}
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for requested, inst in resolve(ec2, refs, page_size):
        try:
            row = plan(inst, desired)
        except AwsError as exc:
            problems.append(str(exc))
            continue
        row["requested"] = requested
        rows.append(row)
    if problems:
        raise AwsError("Nothing was changed: " + " ".join(problems))
    done: list[dict[str, Any]] = []
    for row in rows:
        if row["changed"]:
            try:
                ec2.set_source_dest_check(row["network_interface_id"], desired)
            except AwsError as exc:
                raise AwsError(f"Setting SourceDestCheck={str(desired).lower()} on {row['network_interface_id']} "
                               f"of {row['instance_id']} failed after {sum(r['changed'] for r in done)} changes: "
                               f"{exc}", instances=done) from exc
            ec2.log(f"{row['instance_id']} {row['network_interface_id']}: SourceDestCheck "
                    f"{row['source_dest_check_before']} -> {desired}")
        done.append(row)
    return {"changed": any(r["changed"] for r in rows), "instances": rows, "diff": diff(rows)}
