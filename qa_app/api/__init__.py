"""The JSON API under /api/v1: personal API tokens, bearer authentication, the endpoints
for phone systems, BI tools and scripts, and the OpenAPI document that describes them."""
