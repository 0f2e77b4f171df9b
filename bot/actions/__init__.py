"""One module per action a person or the scheduler takes on an item; each is the only implementation of it.

Each takes `Services`, an item id and the acting `Actor`: the domain rules (core.domain.workflow) authorise and
change state in one transaction, the engine (sync/) queues or runs the write, the notifier (bot/notify.py) shows
what happened. Refusals raise errors that carry a `sentence` (`common.sentence_of`).
"""
