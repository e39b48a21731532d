"""What a learner does with their own record: portal accounts and passwords, signed-in sessions, the portal's pages,
and share links.
"""
