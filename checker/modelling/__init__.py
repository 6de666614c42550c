"""The modelling layer: what a designer writes, and its compiler into the core contract.

A model is a class of processes with durable and volatile fields, shared components
and actions (:mod:`.model`, :mod:`.fields`), properties (:mod:`.properties`) and faults
(:mod:`.faults`). :mod:`.compile` turns an instance into a
:class:`~lifecheck.contract.TransitionSystem`; :mod:`.runtime` is what runs while an
action does (the write log, ``require``, ``choose``, ``fault``); :mod:`.footprint` learns
which parts of the state a step reads and writes, for the vector explorer. A
:class:`~lifecheck.modelling.spec.Spec` pairs a model with its bounds, faults and
expected verdict, and :mod:`.loader` imports spec files as pytest imports test files.
Nothing here explores: the explorers only see the contract.
"""
