# make demo: the milter in front of a throw-away Postfix on 127.0.0.1:2525, with the stand-in
# OVH API; three mails, their SMTP replies and SMS jobs (tools/demo). Run as root.
.PHONY: demo
demo:
	@tools/demo
