"""Web pages for every role, served by the API's own app.

Server-rendered with Jinja2 and made lively with htmx (vendored, no front-end build). Pages
call the same services as the API (``workflow.*``), so a page can never do what the API
would refuse. Staff sign in with a session cookie (HttpOnly, SameSite=Lax, signed); every
form carries a CSRF token. Customers see one complaint through the unguessable link in
their acknowledgement mail.
"""
