"""gunicorn settings read from the project folder (gunicorn loads ./gunicorn.conf.py by itself).

The access log leaves out the query string and the Referer: Xero's answer to the consent page
arrives as /xero/callback/?code=…&state=…, and a page shown at that address would send it on
as the Referer of its own requests. %(U)s is the path alone (gunicorn's default logs %(r)s,
the full request line).
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
