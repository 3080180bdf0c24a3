"""Format-preserving text editors for the files kdumpwiz changes.

Each editor is a pure function from old text to new text that knows nothing
about distributions. Editors refuse (raise :class:`~kdumpwiz.engine.errors.EditError`
with the line number) whatever they cannot edit safely instead of guessing.
"""
