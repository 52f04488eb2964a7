"""The web app's routers: pages (server-rendered editor and history), the REST API, the catalog."""
