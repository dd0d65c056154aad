"""The web layer: HTTP shaping and the error → status table, the authorizer, the OpenAPI
document, and the pages (Jinja2 templates and their static files)."""
