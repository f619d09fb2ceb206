"""Webhooks from Stripe, Zendesk and HubSpot, verified and taken in as our own events."""
