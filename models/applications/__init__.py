"""Update protocols of real applications, as ALICE (Pillai et al., OSDI 2014) traced them.

Each module models one protocol's file system calls step by step, with the check its
application makes when it starts, so that a spec can show on which persistence models
(models.components.persistence) a power loss breaks it: the vulnerability ALICE
reported on the file system it reported it on, and its absence on a file system that
keeps every operation in order.
"""
