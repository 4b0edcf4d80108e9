# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One client for Calico's datastore (etcdv3 or Kubernetes API).

Modules use :func:`connection.connect` with their shared connection options and get a backend with
the same methods whichever datastore is behind it.
"""
