"""fwbench load client and resource monitor (``python -m client``).

Runs on the client and server hosts: Python 3.10+, standard library plus psutil, uvloop, requests
and rich (requirements/client.txt). uvloop and rich are optional at run time.
"""

__version__ = "0.1.0"
