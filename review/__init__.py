"""The compliance review UI: the web app (`review.web.create_app`), its users and sessions
(`review.auth`), decisions (`review.decisions`) and the hash-chained audit log
(`review.audit`)."""
