# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FelixConfiguration rules of clientv3 (v3.31.7): Create/Update defaulting."""

from __future__ import annotations


def default_felixconfiguration_spec(spec: dict) -> dict:
    """clientv3/felixconfig.go setDefaults (lines 114-139), run on every Create and Update."""
    out = dict(spec)
    if out.get("floatingIPs") is None:
        out["floatingIPs"] = "Disabled"
    if out.get("bpfConnectTimeLoadBalancing") is None:
        out["bpfConnectTimeLoadBalancing"] = "TCP"
    if out.get("bpfHostNetworkedNATWithoutCTLB") is None:
        out["bpfHostNetworkedNATWithoutCTLB"] = "Enabled"
    # The deprecated boolean, when set at all, overrides both newer fields.
    if out.get("bpfConnectTimeLoadBalancingEnabled") is not None:
        out["bpfHostNetworkedNATWithoutCTLB"] = "Disabled"
        out["bpfConnectTimeLoadBalancing"] = (
            "Enabled" if out["bpfConnectTimeLoadBalancingEnabled"] else "Disabled")
    return out
