"""One piece at a time: values, fields, components and persistence, the sandbox, the loader, typing,
renderers and diagrams on hand-written input, the package's layering.
"""
