# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes datastore (KDD): conversion between v3 resources and CRs / core Nodes
(convert.py), the API server transport with bounded retries (api.py), the backend (backend.py)."""
