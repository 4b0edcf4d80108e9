# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico installed through the Kubernetes API (the calico_kubernetes role): applying the rendered
objects with server-side apply and a diff per object (install.py), waiting for rollouts and naming
the nodes that are not ready (rollout.py)."""
