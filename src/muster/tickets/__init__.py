"""Tickets and workflows: gap lines and assets tied to tickets, and the signed webhook."""
