"""Sphinx configuration of lifecheck's API reference (docs/api/).

Built with warnings as errors, nitpicky (``./dev docs``, and tests/end_to_end/test_docs.py):
every cross-reference must resolve, so a renamed class or a docstring that points
at a name that no longer exists fails the build instead of leaving a dead link.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The local extension beside this file: the CLI's parser as lifecheck.cli builds it,
# and the pytest plugin's ini options as the plugin declares them.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

import lifecheck

project = "lifecheck"
author = "the lifecheck developers"
copyright = "the lifecheck developers"
version = release = lifecheck.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinxarg.ext",  # sphinx-argparse: the CLI reference from lifecheck.cli's parser
    "lifecheck_docs",
]

exclude_patterns = ["_build"]
nitpicky = True

# Objects are documented where a user imports them (lifecheck.Model, not
# lifecheck.modelling.model.Model); autodoc records the defining module as the
# canonical name, so annotations that name the defining module resolve too.
autodoc_default_options = {"member-order": "bysource"}
# A constructor's docstring says what its arguments configure: show it with the class.
autoclass_content = "both"
# Members that only inherit a docstring (Mapping.get's "D.get(k[,d]) -> ...") say nothing
# about lifecheck, and would be listed as if they did.
autodoc_inherit_docstrings = False
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_class_signature = "mixed"
add_module_names = False
python_use_unqualified_type_names = True

# The build is offline (no intersphinx inventories can be fetched), so names from the
# standard library and from the libraries lifecheck builds on stay plain text in
# signatures. Only those: every name of lifecheck's own must resolve.
nitpick_ignore_regex = [
    ("py:class", r"(collections\.abc|typing|pathlib|argparse|abc|enum|unittest|types)\..+"),
    ("py:class", r"(hypothesis|pytest|_pytest)(\..+)?"),
]

# The type variables of the field and role overloads (fields.T, model.P) have no page
# of their own to link to.
nitpick_ignore = [
    ("py:class", "lifecheck.modelling.fields.T"),
    ("py:class", "lifecheck.modelling.model.P"),
]

html_theme = "furo"
html_title = f"lifecheck {release} API reference"
html_show_sourcelink = False
