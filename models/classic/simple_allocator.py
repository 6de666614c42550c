"""The simple resource allocator of the TLA+ Examples (``allocator/SimpleAllocator``,
Merz), with its ``SimpleAllocator.cfg``: three clients and two resources.

A client with nothing outstanding and nothing held asks for a non-empty set of
resources; the allocator hands any available part of an outstanding request to its
client; a client returns any part of what it holds. The specification's fairness is
what makes the liveness properties hold: ``WF_vars(Return(c, alloc[c]))`` (a client
that holds resources eventually returns all of them) and ``SF_vars(\\E S : Allocate(c, S))``
(a client that is allocated to infinitely often possible gets something infinitely
often). Weak fairness on allocating is not enough: two clients can take turns holding
a resource a third one waits for.

``Return(c, S)`` is split in two actions so that its fair instance can be named:
``return_all`` is ``Return(c, alloc[c])`` and ``return_some`` a non-empty proper part,
together exactly TLA+'s ``Return`` steps.
"""

from __future__ import annotations

from itertools import combinations

from lifecheck import Model, Process, action, always, durable, leads_to, require, role

RESOURCES = ("r1", "r2")
SUBSETS = tuple(frozenset(c) for n in range(len(RESOURCES) + 1) for c in combinations(RESOURCES, n))


class Client(Process):
    """``Clients``: what each one waits for and what it holds."""

    unsat = durable(frozenset(), "``unsat[c]``: resources asked for, not yet allocated")
    alloc = durable(frozenset(), "``alloc[c]``: resources allocated to the client")


def _unsat_empty(i: int):
    return lambda m: not m.clients[i].unsat


def _alloc_empty(i: int):
    return lambda m: not m.clients[i].alloc


def _wants(i: int, r: str):
    return lambda m: r in m.clients[i].unsat


def _holds(i: int, r: str):
    return lambda m: r in m.clients[i].alloc


def _true(m) -> bool:
    return True


class SimpleAllocator(Model):
    """``SimpleAllocator`` for ``Clients = {c1, c2, c3}`` and ``Resources = {r1, r2}``."""

    clients = role(Client, count=3)

    def available(self) -> frozenset:
        """``available``: the resources no client holds."""
        return frozenset(RESOURCES).difference(*(c.alloc for c in self.clients))

    @action(Client, s=lambda m: SUBSETS)
    def request(self, c: Client, s: frozenset) -> None:
        """``Request(c, S)``: a client with nothing pending asks for a non-empty set."""
        require(not c.unsat and not c.alloc and s)
        c.unsat = s

    @action(Client, s=lambda m: SUBSETS)
    def allocate(self, c: Client, s: frozenset) -> None:
        """``Allocate(c, S)``: give a client some of what it asked for and is available."""
        require(s and s <= self.available() & c.unsat)
        c.alloc, c.unsat = c.alloc | s, c.unsat - s

    @action(Client)
    def return_all(self, c: Client) -> None:
        """``Return(c, alloc[c])``: the client returns everything it holds."""
        require(c.alloc)
        c.alloc = frozenset()

    @action(Client, s=lambda m: SUBSETS)
    def return_some(self, c: Client, s: frozenset) -> None:
        """``Return(c, S)`` for a non-empty ``S`` smaller than ``alloc[c]``."""
        require(s and s < c.alloc)
        c.alloc = c.alloc - s

    @always(name="TypeInvariant")
    def type_invariant(self) -> bool:
        """Requests and allocations are sets of resources."""
        return all(c.unsat <= set(RESOURCES) and c.alloc <= set(RESOURCES) for c in self.clients)

    @always(name="ResourceMutex")
    def resource_mutex(self) -> bool:
        """No resource is allocated to two clients."""
        held = [c.alloc for c in self.clients]
        return all(not (a & b) for i, a in enumerate(held) for b in held[i + 1:])

    # ClientsWillReturn: \A c : unsat[c] = {} ~> alloc[c] = {}
    clients_will_return_c1 = leads_to(_unsat_empty(0), _alloc_empty(0), name="ClientsWillReturn(c1)")
    clients_will_return_c2 = leads_to(_unsat_empty(1), _alloc_empty(1), name="ClientsWillReturn(c2)")
    clients_will_return_c3 = leads_to(_unsat_empty(2), _alloc_empty(2), name="ClientsWillReturn(c3)")
    # ClientsWillObtain: \A c, r : r \in unsat[c] ~> r \in alloc[c]
    obtain_c1_r1 = leads_to(_wants(0, "r1"), _holds(0, "r1"), name="ClientsWillObtain(c1,r1)")
    obtain_c1_r2 = leads_to(_wants(0, "r2"), _holds(0, "r2"), name="ClientsWillObtain(c1,r2)")
    obtain_c2_r1 = leads_to(_wants(1, "r1"), _holds(1, "r1"), name="ClientsWillObtain(c2,r1)")
    obtain_c2_r2 = leads_to(_wants(1, "r2"), _holds(1, "r2"), name="ClientsWillObtain(c2,r2)")
    obtain_c3_r1 = leads_to(_wants(2, "r1"), _holds(2, "r1"), name="ClientsWillObtain(c3,r1)")
    obtain_c3_r2 = leads_to(_wants(2, "r2"), _holds(2, "r2"), name="ClientsWillObtain(c3,r2)")
    # InfOftenSatisfied: \A c : []<>(unsat[c] = {}), that is TRUE ~> unsat[c] = {}
    inf_often_satisfied_c1 = leads_to(_true, _unsat_empty(0), name="InfOftenSatisfied(c1)")
    inf_often_satisfied_c2 = leads_to(_true, _unsat_empty(1), name="InfOftenSatisfied(c2)")
    inf_often_satisfied_c3 = leads_to(_true, _unsat_empty(2), name="InfOftenSatisfied(c3)")
