"""DFPS ⇄ DPS missing-person exchange."""
