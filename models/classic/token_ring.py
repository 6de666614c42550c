"""A token ring that counts its rounds: the long, thin benchmark.

N processes pass one token round a ring; the holder may pass it on, and the round
counter goes up each time the token comes back to the first process, up to a
bound. The state space is a single long cycle-free chain (N x rounds states, each
with one successor), the opposite of dining philosophers' short, wide one: it
measures what an explorer pays per BFS level rather than per state.
"""

from __future__ import annotations

from lifecheck import Model, Process, action, always, durable, final, parameter, require, role


class Station(Process):
    has_token = durable(False)


class TokenRing(Model):
    n = parameter(3, check=lambda n: isinstance(n, int) and n >= 2)
    rounds = parameter(1000, check=lambda r: isinstance(r, int) and r >= 1)
    stations = role(Station, count="n")
    round = durable(0)

    @action(Station)
    def take_first_token(self, s):
        """The ring starts with station 1 taking the token."""
        require(s.index == 0 and self.round == 0 and not any(x.has_token for x in self.stations))
        s.has_token = True
        self.round = 1

    @action(Station)
    def pass_token(self, s):
        require(s.has_token and self.round < self.rounds)
        s.has_token = False
        nxt = self.stations[(s.index + 1) % self.n]
        nxt.has_token = True
        if nxt.index == 0:
            self.round += 1

    @always
    def one_token(self):
        """At most one station holds the token."""
        return sum(s.has_token for s in self.stations) <= 1

    @final
    def done(self):
        return self.round == self.rounds
