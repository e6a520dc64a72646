"""Administration: what district and community admins set up and change in the browser.

Every function that changes something is one use case, checks the actor's role and scope itself
(out of scope: ``NotFound``; a role that may not: ``Forbidden``) and leaves an audit event.
"""
