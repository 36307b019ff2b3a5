"""Quarters and the exchange's rules: fiscal quarters and the partitions built on them (quarters),
which submissions still wait for DPS's answer and whether another may be sent (submissions), and
whether DPS's answer has arrived, and for which quarter (answer_watch)."""
