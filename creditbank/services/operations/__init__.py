"""Running the bank: backup and restore, the scheduler's lease, housekeeping and health."""
