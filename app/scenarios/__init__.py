"""Failure scenarios, the seeded chaos scheduler and the stakeholder demo for the lab."""
