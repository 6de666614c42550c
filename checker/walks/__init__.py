"""One behaviour at a time: random walks and reruns. They find bugs and prove nothing.

:mod:`.walk` runs one behaviour of a compiled model with the explorers' checks, and is
shared by the stateful-test bridge, simulation and conformance with real code;
:mod:`.simulate` draws many random walks with faults and shortens what they find.
"""
