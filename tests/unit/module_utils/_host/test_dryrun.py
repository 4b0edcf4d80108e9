"""Check mode on a host: DryRunHost records every change instead of making it, reads still run and
see what this run "wrote"; the same ensure_file decides the same way through it."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._host import files, sysctl
from ansible_collections.netops.calico.plugins.module_utils._host.dryrun import DryRunHost
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes
from fakes import FakeHost


@pytest.fixture()
def host(tmp_path):
    h = FakeHost(tmp_path / "root")
    h.write("/etc/calico/calico.env", "OLD=1\n", mode=0o600)
    h.write("/proc/sys/net/ipv4/ip_forward", "0\n")
    return h


def test_changes_are_recorded_not_made(host):
    dry = DryRunHost(host)
    changes = Changes()
    fc = files.ensure_file(dry, "/etc/calico/calico.env", "NEW=1\n", 0o600, changes=changes)
    sysctl.write(dry, "net.ipv4.ip_forward", "1")
    rc, out, err = dry.change(["/usr/sbin/modprobe", "--", "ipip"])
    assert fc.changed and fc.content_changed and (rc, out, err) == (0, "", "")
    assert dry.actions == [("write", "/etc/calico/calico.env"), ("write", "/proc/sys/net/ipv4/ip_forward"),
                           ("run", "/usr/sbin/modprobe -- ipip")]
    assert host.file("/etc/calico/calico.env") == "OLD=1\n"                 # nothing written
    assert host.file("/proc/sys/net/ipv4/ip_forward") == "0\n"
    assert host.calls == []                                                # nothing run
    # reads see this run's writes, so a second ensure_file is not a change
    assert dry.read("/etc/calico/calico.env") == "NEW=1\n" and sysctl.read(dry, "net.ipv4.ip_forward") == "1"
    assert not files.ensure_file(dry, "/etc/calico/calico.env", "NEW=1\n", 0o600).changed
    assert changes.diff() == [{"before_header": "/etc/calico/calico.env", "after_header": "/etc/calico/calico.env",
                               "before": "OLD=1\n", "after": "NEW=1\n"}]


def test_mode_change_is_recorded_with_the_mode_in_the_header(host):
    dry = DryRunHost(host)
    changes = Changes()
    fc = files.ensure_file(dry, "/etc/calico/calico.env", "OLD=1\n", 0o644, changes=changes)
    assert fc.changed and fc.mode_changed and not fc.content_changed
    assert dry.actions == [("chmod", "/etc/calico/calico.env 0644")]
    assert oct((host.tree / "etc/calico/calico.env").stat().st_mode & 0o777) == "0o600"
    assert [(d["before_header"], d["after_header"]) for d in changes.diff()] == [
        ("/etc/calico/calico.env (mode 0600)", "/etc/calico/calico.env (mode 0644)")]


def test_the_real_host_makes_the_same_changes(host):
    fc = files.ensure_file(host, "/etc/calico/calico.env", "NEW=1\n", 0o600)
    sysctl.write(host, "net.ipv4.ip_forward", "1")
    assert fc.changed and host.file("/etc/calico/calico.env") == "NEW=1\n"
    assert host.file("/proc/sys/net/ipv4/ip_forward") == "1\n"
    assert not files.ensure_file(host, "/etc/calico/calico.env", "NEW=1\n", 0o600).changed
