"""The lifecycles and designs of specs/: expected verdicts, counterexamples, stateful tests, simulation
and conformance with real code.
"""
