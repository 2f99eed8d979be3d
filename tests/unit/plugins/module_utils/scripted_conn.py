"""A PostgreSQL connection stand-in for the pgqueuer tests."""

from __future__ import annotations


class Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchall(self):
        return self.rows


class ScriptedConn:
    """Answers each SQL constant with the rows the test scripted for it, in call order."""

    def __init__(self, answers):
        self.answers = {query: list(rows) for query, rows in answers.items()}
        self.executed = []

    def execute(self, query, params=None):
        self.executed.append((query, params))
        queue = self.answers[query]
        return Rows(queue.pop(0) if len(queue) > 1 else queue[0])
