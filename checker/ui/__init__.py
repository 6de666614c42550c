"""``lifecheck explore``: a spec's state space walked a step at a time in a browser.

:mod:`~lifecheck.ui.session` keeps the path and makes the moves, :mod:`~lifecheck.ui.state_view`
lays a state out as the model declared it, :mod:`~lifecheck.ui.server` serves the page
(``static/``) and its JSON API with the standard library's HTTP server.
"""
