"""Every lifecycle spec of this repository, checked as a designer checks them.

``lifecheck check specs`` with no flags against ``lifecheck check specs --engine bfs``,
whole processes in turn: what the default engine is worth on the specs users write
(a few hundred to a few thousand states each), in total and spec by spec.
"""

SUITE = "../specs"
