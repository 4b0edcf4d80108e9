"""The fakes are strict: what a real host or datastore would refuse, they refuse too."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ConflictError, NotFoundError
from fakes import FakeHost, MemoryDatastore


def test_an_unscripted_command_fails_the_test(tmp_path):
    h = FakeHost(tmp_path)
    h.responses["ip link show"] = (0, "", "")
    assert h.run(["/usr/sbin/ip", "link", "show", "dev", "eth0"]) == (0, "", "")
    with pytest.raises(pytest.fail.Exception, match="no response scripted for the command 'ip link delete x'"):
        h.run(["/usr/sbin/ip", "link", "delete", "x"])


def test_a_delete_at_a_stale_revision_conflicts():
    ds = MemoryDatastore()
    created = ds.create(model.new_resource("IPPool", "p", {"cidr": "198.19.0.0/16"}))
    rev = created["metadata"]["resourceVersion"]
    ds.update(created)
    with pytest.raises(ConflictError):
        ds.delete("IPPool", "p", rev)
    ds.delete("IPPool", "p", ds.get("IPPool", "p")["metadata"]["resourceVersion"])
    with pytest.raises(NotFoundError):
        ds.delete("IPPool", "p", rev)
