"""Webhooks: inbound receiver and outbound deliveries."""
