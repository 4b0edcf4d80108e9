"""Offline stand-in for the get-pip script that ansible-test downloads (get_pip_X_Y.py).

scripts/setup.sh copies it into ansible-test's cache ($HOME/.ansible/test/cache) next to the
pip wheel it runs. ansible-test calls it like: python get_pip_X_Y.py [opts...] pip==X.Y
[--no-setuptools] [--no-wheel]. Like the real get-pip.py, run pip straight out of its wheel.
"""
import glob
import os
import runpy
import sys

here = os.path.dirname(os.path.abspath(__file__))
wheels = sorted(glob.glob(os.path.join(here, "pip-*-py3-none-any.whl")))
if not wheels:
    sys.exit(f"no pip wheel next to {__file__}: run scripts/setup.sh")
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.path.insert(0, wheels[-1])
sys.argv = ["pip", "install", "--find-links", here] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
