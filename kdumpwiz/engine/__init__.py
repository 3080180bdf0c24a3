"""The kdumpwiz engine: host access, detection, crashkernel model, sizing,
family handlers, file editors, plan, apply/rollback and verify.

Nothing in this package may import textual or rich (a test enforces it), so the
command line, automation and the wizard all share exactly the same logic.
"""
