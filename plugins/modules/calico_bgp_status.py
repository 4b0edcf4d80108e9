#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_bgp_status
short_description: Read BGP session state from BIRD's control socket and wait, with a bound, for sessions
version_added: 0.1.0
description:
  - Reads the protocols of the BIRD on this host (calico-node's BIRD, or a dedicated reflector's) through
    its control socket, speaking BIRD's reply-code protocol directly (no C(birdc) output scraping).
  - With O(established), waits until every named BGP protocol is up and C(Established), polling every
    O(interval) seconds for at most O(timeout) seconds, and fails naming the sessions that are not.
author:
  - netops.calico contributors (@netops-calico)
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
  idempotent:
    support: full
    description: Never changes anything.
options:
  socket:
    description: BIRD's control socket; calico-node's IPv4 BIRD uses the default.
    type: path
    default: /var/run/calico/bird.ctl
  established:
    description:
      - BIRD protocol names that must be Established, for example V(Node_198_18_0_11) (as returned by
        M(netops.calico.calico_route_reflector) in C(expected_sessions)). Empty means only read.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait at most.
    type: float
    default: 120
  interval:
    description: Seconds between reads.
    type: float
    default: 1
seealso:
  - module: netops.calico.calico_route_reflector
"""

EXAMPLES = r"""
- name: Wait until this node's sessions to the reflectors are up
  netops.calico.calico_bgp_status:
    established: [Node_198_18_0_11, Node_198_18_0_12]
    timeout: 120
"""

RETURN = r"""
protocols:
  description: Every protocol BIRD reports (C(name), C(proto), C(state), C(bgp_state), C(info)).
  returned: always
  type: list
  elements: dict
established:
  description: The protocols of O(established) that are Established.
  returned: always
  type: list
  elements: str
missing:
  description: The protocols of O(established) that are not, with their state.
  returned: always
  type: dict
waited:
  description: Seconds waited.
  returned: always
  type: float
bird_version:
  description: BIRD's greeting (name and version).
  returned: always
  type: str
"""

from ansible_collections.netops.calico.plugins.module_utils._bgp.modules import run_bgp_status


def main() -> None:
    run_bgp_status()


if __name__ == "__main__":
    main()
