# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dead-node purge (calico_decommission): liveness sources, the plan, the guarded purge."""
