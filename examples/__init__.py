"""Real implementations of the lifecycles, kept apart from the models, and their adapters.

Each lifecycle has the real code (a buggy design as it shipped and fixed ones)
in modules that know nothing of lifecheck, and an adapter module that holds that
code to the model that was checked (:mod:`lifecheck.conformance`):

* :mod:`examples.extraction`: unpacking a plugin archive into a shared working
  directory, run as real processes that are killed with SIGKILL between steps;
* :mod:`examples.segment_commit`: a broker's segments uploaded to a store on
  local disk that can be told to fail requests, with retention deleting local
  segments.
"""
