"""Web routes beyond Slack, one module per provider; each has `register(app, settings)` and is listed in
`bot/web_routes.py` ROUTE_MODULES."""
