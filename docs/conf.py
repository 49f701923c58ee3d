"""Sphinx configuration for the ptdalgorithms documentation.

Build (from the repository root, after installing the package and the ``docs`` extra)::

    pip install '.[docs]'
    sphinx-build -W -b html docs docs/_build/html

The documentation describes the *installed* package: the API reference is generated from it and the
example pages are executed against it (myst-nb runs every ``.md`` notebook at build time).  This file
therefore never puts the repository root on ``sys.path``: the source folder ``ptdalgorithms/`` has no
compiled extensions and would shadow the installed package.

Environment switches (all optional):

``PTD_DOCS_EXECUTE``
    myst-nb execution mode: ``force`` (default: run every notebook), ``cache`` (re-run only changed
    notebooks, handy while writing) or ``off``.
``PTD_DOCS_INTERSPHINX``
    Set to 1 to link to the numpy, scipy, jax and matplotlib documentation.  Off by default because
    it downloads their inventories, and a build without network access would fail under ``-W``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

# ---------------------------------------------------------------------- import the installed package
_REPO = Path(__file__).resolve().parent.parent


def _is_repo_root(entry: str) -> bool:
    try:
        return Path(entry or os.getcwd()).resolve() == _REPO
    except OSError:
        return False


# `python -m sphinx` run from the repository root puts the root ('' or its path) on sys.path.
sys.path[:] = [p for p in sys.path if not _is_repo_root(p)]

try:
    import ptdalgorithms
    from ptdalgorithms import _graph  # noqa: F401  (the compiled extension must be importable)
except ImportError as exc:  # pragma: no cover - a configuration error, explained to the user
    raise RuntimeError(
        "The documentation needs the installed, compiled ptdalgorithms package "
        "(pip install '.[docs]' from the repository root). Import failed: " f"{exc}"
    ) from exc

# ---------------------------------------------------------------------- project
project = "ptdalgorithms"
author = "the ptdalgorithms developers"
copyright = "2025, the ptdalgorithms developers"
version = release = ptdalgorithms.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store", "jupyter_execute"]
templates_path = ["_templates"]

# ---------------------------------------------------------------------- API reference
autosummary_generate = True
autosummary_imported_members = False
autosummary_ignore_module_all = False  # module pages list what the module exports (__all__)
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "none"  # numpydoc renders the types from the docstrings
numpydoc_show_class_members = False  # members come from the autosummary class template
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Docstrings write edge counts as O(|E|); in reST "|E|" is a substitution reference, so define it
# as the literal text rather than fail the build on a cost formula.
rst_prolog = r"""
.. |E| replace:: \|E\|
.. |V| replace:: \|V\|
"""

# ---------------------------------------------------------------------- cross-references (opt-in)
intersphinx_mapping: dict = {}
if os.environ.get("PTD_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "jax": ("https://docs.jax.dev/en/latest", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

# ---------------------------------------------------------------------- executed notebooks (myst-nb)
nb_execution_mode = os.environ.get("PTD_DOCS_EXECUTE", "force")
if nb_execution_mode == "off":  # unexecuted cells have no kernel language info to pick a lexer from
    suppress_warnings = ["myst-nb.lexer"]
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_show_tb = True  # print the traceback in the build log
nb_execution_timeout = 120  # seconds per cell; every example is meant to finish well under a minute
nb_execution_in_temp = True  # kernels start in a temporary folder, never next to the source package
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# ---------------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"ptdalgorithms {release}"
html_static_path: list = []
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "installation": []}


# ---------------------------------------------------------------------- every public name documented
def _check_public_names(app) -> None:
    """Warn (an error under -W) if a name in ``ptdalgorithms.__all__`` is missing from api.rst."""
    from sphinx.util import logging

    listed = set()
    for line in (Path(app.srcdir) / "api.rst").read_text().splitlines():
        word = line.strip()
        if word and not word.startswith((".", ":")) and word.isidentifier():
            listed.add(word)
    missing = [name for name in getattr(ptdalgorithms, "__all__", []) if name not in listed]
    if missing:
        logging.getLogger(__name__).warning(
            "ptdalgorithms.__all__ names not in docs/api.rst: %s", ", ".join(missing)
        )


def setup(app):
    app.connect("builder-inited", _check_public_names)
