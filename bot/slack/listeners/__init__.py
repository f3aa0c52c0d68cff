"""Bolt listeners, one module per surface; each module's `register(app, services)` adds its listeners.

A listener module may import the Slack layer's helpers (`answering`, `calls`, `matchers`, `middleware`,
`blocks`…), the review store's errors and `bot.prompts`. It must not import another listener module (what
two surfaces share lives in a helper module), the index or the answering core's internals.
"""
