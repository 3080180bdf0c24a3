"""Snapshot tests of every wizard step (SVG baselines in __snapshots__/)."""
