"""Intake: what a cadre meets first — registration, routing, a new ticket, handbook suggestions."""
