"""Request and response bodies of the API, one module per resource.

Each resource has its schema family: what a client sends to create one,
what it sends to change one (every field optional), what it gets back, and
a page of them. Responses reuse the CMDB's read-side views where they exist.
"""
