"""Client requests: ad-hoc questionnaires to portal contacts or guests, answered online."""
