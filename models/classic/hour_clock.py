"""The hour clock of Specifying Systems (chapter 2): a model with twelve initial states.

``HC`` is ``Init == hr \\in 1..12`` and ``Next == hr' = IF hr # 12 THEN hr + 1 ELSE 1``.
Every state is an initial state, so TLC counts 12 distinct states and a depth of 1
(lifecheck counts steps: depth 0); a model that set the hour in a first step would
count 13 states and depth 1, which is why the initial value is ``one_of`` the hours.
"""

from __future__ import annotations

from lifecheck import Model, action, always, durable, eventually, one_of

HOURS = range(1, 13)


class HourClock(Model):
    """A clock that shows the hour and ticks: it may start at any hour."""

    hr = durable(one_of(HOURS), "the hour shown, 1 to 12")

    @action
    def tick(self) -> None:
        """``HCnxt``: the next hour, 12 followed by 1."""
        self.hr = self.hr % 12 + 1

    @always
    def type_ok(self) -> bool:
        """``HCini`` as an invariant: the clock always shows an hour from 1 to 12."""
        return self.hr in HOURS

    @eventually
    def strikes_twelve(self) -> bool:
        """From whichever hour it starts, a clock that keeps ticking shows 12."""
        return self.hr == 12
