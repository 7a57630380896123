"""Sync: jobs, scheduler, runner, checkpoints and the queue adapter."""
