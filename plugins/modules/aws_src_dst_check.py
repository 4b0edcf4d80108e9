#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_src_dst_check
short_description: Set the EC2 source/destination check of Calico nodes' primary network interfaces
version_added: 0.1.0
description:
  - Does what kOps' C(networking.calico.awsSrcDstCheck) asks for, on the primary network interface
    (device index 0) of each given EC2 instance. Calico routes pod traffic whose addresses are not the
    instance's own, which EC2 drops unless the source/destination check is off (V(Disable)).
  - Instances are given by ID, by private DNS name (the usual Kubernetes Node name on AWS) or by EC2
    hostname C(ip-A-B-C-D); names are resolved with C(DescribeInstances) filters, page by page.
  - Reads the current flag from C(DescribeInstances) and calls C(ModifyNetworkInterfaceAttribute) only
    for interfaces whose flag differs. Every instance is resolved and checked before the first change; a
    reference that resolves to nothing, or to several instances, fails the task with nothing changed.
  - Throttling and transient EC2 errors are retried with capped exponential backoff, at most 6 attempts
    per call; each retry is logged.
  - Runs on the controller (or wherever boto3 and AWS credentials are), usually with C(run_once) and
    C(delegate_to) set to V(localhost).
author:
  - netops.calico contributors (@netops-calico)
requirements:
  - boto3
attributes:
  check_mode:
    support: full
    description: Reads and compares the same way, and skips only the C(ModifyNetworkInterfaceAttribute) calls.
  diff_mode:
    support: full
    description: Shows, per instance, its primary interface and source/destination check before and after.
  idempotent:
    support: full
    description: A second run with the same options makes no change and no modify call.
options:
  instances:
    description:
      - The instances whose primary network interface to set.
      - Each item is an instance ID (V(i-0123456789abcdef0)), a private DNS name
        (V(ip-10-0-1-2.eu-west-1.compute.internal), also matched for resource-based names such as
        V(i-0123456789abcdef0.eu-west-1.compute.internal)), or an EC2 hostname V(ip-10-0-1-2), looked
        up by the instance's primary private IPv4 address.
      - Names match only instances that are pending, running, stopping or stopped.
    type: list
    elements: str
    required: true
  mode:
    description:
      - kOps' C(awsSrcDstCheck) value. V(Disable) turns the check off (what Calico needs without
        encapsulation or with C(CrossSubnet)), V(Enable) turns it on, V(DoNothing) leaves the instances alone
        and makes no AWS call at all (boto3 and credentials are not needed then).
      - The default is kOps' default on AWS IPv4 clusters.
    type: str
    choices: [Enable, Disable, DoNothing]
    default: Disable
    aliases: [aws_src_dst_check]
  page_size:
    description:
      - Instances asked for per C(DescribeInstances) request (C(MaxResults)), 5 to 1000; further pages
        are fetched with C(NextToken).
    type: int
    default: 100
  access_key:
    description:
      - AWS access key ID.
      - Falls back to the E(AWS_ACCESS_KEY_ID) or E(AWS_ACCESS_KEY) environment variables, in that order;
        when neither is set, boto3's own chain (shared files, instance profile) applies.
      - Mutually exclusive with O(profile).
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description:
      - AWS secret access key. Required together with O(access_key).
      - Falls back to E(AWS_SECRET_ACCESS_KEY) or E(AWS_SECRET_KEY).
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description:
      - AWS STS session token, for temporary credentials. Falls back to E(AWS_SESSION_TOKEN).
    type: str
    aliases: [aws_session_token]
  profile:
    description:
      - A named profile from C(~/.aws/credentials) or C(~/.aws/config).
      - Falls back to E(AWS_PROFILE) or E(AWS_DEFAULT_PROFILE).
      - Mutually exclusive with O(access_key), O(secret_key) and O(session_token).
    type: str
    aliases: [aws_profile]
  region:
    description:
      - The AWS region of the instances.
      - Falls back to E(AWS_REGION) or E(AWS_DEFAULT_REGION), then to the profile's region; the task
        fails when none is set.
    type: str
    aliases: [aws_region]
  endpoint_url:
    description:
      - URL to use instead of the default EC2 endpoint of the region (a VPC endpoint, or a test server).
      - Falls back to E(AWS_URL) or E(EC2_URL).
    type: str
    aliases: [aws_endpoint_url, ec2_url]
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate. Prefer O(aws_ca_bundle) to turning this off.
    type: bool
    default: true
  aws_ca_bundle:
    description:
      - CA bundle to verify the endpoint's TLS certificate with. Falls back to E(AWS_CA_BUNDLE).
    type: path
notes:
  - The credentials need C(ec2:DescribeInstances) and C(ec2:ModifyNetworkInterfaceAttribute), the
    permissions kOps grants its nodes for Calico; the module returns that policy as RV(iam_policy).
  - On AWS the instance's C(SourceDestCheck) attribute mirrors its primary interface's flag; this module
    reads and writes the interface.
seealso:
  - name: kOps Calico networking
    description: C(awsSrcDstCheck) in kOps' Calico documentation.
    link: https://kops.sigs.k8s.io/networking/calico/
"""

EXAMPLES = r"""
- name: Turn off the source/destination check on every node, as kOps does for Calico
  netops.calico.aws_src_dst_check:
    instances: "{{ groups['calico_nodes'] | map('extract', hostvars, 'ec2_instance_id') | list }}"
    mode: Disable
    region: eu-west-1
  run_once: true
  delegate_to: localhost

- name: Same, by Kubernetes Node name (the private DNS name), with the mode from a kOps-style spec
  netops.calico.aws_src_dst_check:
    instances:
      - ip-10-0-1-2.eu-west-1.compute.internal
      - ip-10-0-1-3
    aws_src_dst_check: "{{ calico.awsSrcDstCheck | default('Disable') }}"
    profile: cluster-admin
  run_once: true
  delegate_to: localhost
  register: srcdst

- name: Show the IAM policy the nodes' role needs for this
  ansible.builtin.debug:
    var: srcdst.iam_policy
"""

RETURN = r"""
instances:
  description:
    - One entry per distinct instance, in the order first named; empty when O(mode=DoNothing).
    - In check mode, the values that would be set.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The instance's ID.
      type: str
      sample: i-0123456789abcdef0
    requested:
      description: The items of O(instances) that named this instance.
      type: list
      elements: str
      sample: [ip-10-0-1-2.eu-west-1.compute.internal]
    private_dns_name:
      description: The instance's private DNS name.
      type: str
      sample: ip-10-0-1-2.eu-west-1.compute.internal
    network_interface_id:
      description: The primary network interface (device index 0).
      type: str
      sample: eni-0123456789abcdef0
    source_dest_check_before:
      description: The interface's source/destination check before the task.
      type: bool
      sample: true
    source_dest_check:
      description: The interface's source/destination check after the task.
      type: bool
      sample: false
    changed:
      description: Whether the flag was (in check mode, would be) changed.
      type: bool
      sample: true
iam_policy:
  description:
    - The minimal IAM policy document this mode needs (C(ec2:DescribeInstances) and
      C(ec2:ModifyNetworkInterfaceAttribute) on C(*), as kOps grants them).
    - V(null) for O(mode=DoNothing), which needs no permission.
  returned: always
  type: dict
  sample:
    Version: "2012-10-17"
    Statement:
      - Sid: CalicoSrcDstCheck
        Effect: Allow
        Action: [ec2:DescribeInstances, ec2:ModifyNetworkInterfaceAttribute]
        Resource: "*"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netops.calico.plugins.module_utils import _aws


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "instances": {"type": "list", "elements": "str", "required": True},
            "mode": {"type": "str", "choices": list(_aws.MODES), "default": _aws.DEFAULT_MODE,
                     "aliases": ["aws_src_dst_check"]},
            "page_size": {"type": "int", "default": 100},
            **_aws.aws_argspec(),
        },
        required_together=[("access_key", "secret_key")],
        supports_check_mode=True,
    )
    p = module.params
    policy = _aws.iam_policy(p["mode"])
    if _aws.desired_source_dest_check(p["mode"]) is None:
        module.exit_json(changed=False, instances=[], iam_policy=None, diff=[])
    lo, hi = _aws.PAGE_SIZE_RANGE
    if not lo <= p["page_size"] <= hi:
        module.fail_json(msg=f"page_size must be between {lo} and {hi} (DescribeInstances MaxResults), "
                             f"not {p['page_size']}.")
    if not _aws.HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3"), exception=_aws.BOTO3_IMPORT_ERROR)
    try:
        ec2 = _aws.connect(p, log=module.log)
        if module.check_mode:
            ec2 = _aws.DryRunEc2(ec2)
        result = _aws.ensure_source_dest_check(ec2, p["instances"], p["mode"], p["page_size"])
    except _aws.AwsError as exc:
        module.fail_json(msg=str(exc), changed=any(r["changed"] for r in exc.instances),
                         instances=exc.instances, iam_policy=policy)
    module.exit_json(iam_policy=policy, **result)


if __name__ == "__main__":
    main()
