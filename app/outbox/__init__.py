"""Outbound messages to members: the outbox table, the channel planner and the dispatcher.

Anything that must reach a member later writes an ``outbox`` row in the same
transaction as the change that causes it (:func:`app.outbox.service.enqueue`);
the dispatcher (:mod:`app.outbox.dispatcher`) claims due rows with a lease,
picks a channel (:mod:`app.outbox.planner`), sends and records the outcome.
"""
