"""Diagrams of a model, derived from what the checker explored and never drawn by hand.

Extraction and drawing are kept apart. :mod:`.explored` turns an exploration into
plain data (states as named fields, steps); :mod:`.control` decides what a
process's control state is; :mod:`.roles`, :mod:`.state_graph` and
:mod:`.sequence` build what to draw from plain data alone, so they are tested on
inputs written by hand; :mod:`.sequence_mermaid`, :mod:`.sequence_dot` and
:mod:`.dot` turn that into Mermaid, DOT and SVG. :mod:`.lifecycle`,
:mod:`.figures` and :mod:`.document` assemble one design document per lifecycle
for ``lifecheck report`` (:mod:`lifecheck.diagrams.report`).
"""
