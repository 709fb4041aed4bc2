-- POSTs a form body with its content type.
wrk.method = "POST"
wrk.body = "alpha=1&beta=two"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
