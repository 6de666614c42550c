"""Words for people: results as text and Markdown, and counterexamples as short stories.

Pure functions of a :class:`~lifecheck.result.Result` or a
:class:`~lifecheck.result.Violation`; the diagrams live in :mod:`lifecheck.diagrams`.
"""
