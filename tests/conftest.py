"""Test-session setup shared by every test module."""
import os

# Several tests run Python in a subprocess (thread counts, device counts).  `python -c` puts the
# current directory first on sys.path; from the repository root that is the uncompiled source package,
# which would shadow the installed one.  PYTHONSAFEPATH (Python >= 3.11) keeps it off sys.path.
os.environ["PYTHONSAFEPATH"] = "1"
