"""Credits: publishing frameworks and rule sets (``credit_rules``), converting achievements as they are recorded
(``conversion``), the learner's account and progress (``statements``), and awarding qualifications (``awards``)."""
