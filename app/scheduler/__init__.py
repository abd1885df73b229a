"""Scheduled jobs: APScheduler only ticks, the database decides what is due and who sends it."""
