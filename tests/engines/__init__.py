"""The explorers held to the reference: soundness, the differential harness, every engine and option
against bfs, liveness, symmetry, checkpoints, certification.
"""
