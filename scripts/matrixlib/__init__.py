"""Matrix runner library: parse a matrix, plan its cells, check the target,
collect provenance, run fio here or on remote machines through fio's
client/server mode (remote.py), validate the result layout (results/README.md).

The rules it shares with the analysis and the tests (fio's sizes, which fio,
what a good fio run is) are defined once, in analysis/fioab/fio.py; scripts
may import the analysis, never the other way round."""
import os as _os
import sys as _sys

_ANALYSIS = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.dirname(
    _os.path.abspath(__file__)))), "analysis")
if _ANALYSIS not in _sys.path:
    _sys.path.append(_ANALYSIS)
