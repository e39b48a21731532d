"""Learner records and who may write them: institutions, their API and signing keys, learners, achievements, learners'
consent, and safe retries of writes.
"""
