"""From signals to action and back: the steering group's answers and actions (tracker.py), their
follow-up in the digest (followup.py), and "you said, we did" (news.py)."""
