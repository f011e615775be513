# install.mk: "make install" and "make dist".
#
# install copies what "make" built, the man pages and the configuration snippets under
# $(DESTDIR)$(PREFIX); the configuration file goes to $(DESTDIR)$(SYSCONFDIR)/mail2sms and is
# never overwritten, since it holds the site's settings and secrets. The packages
# (packaging/debian, packaging/rpm) call it with PREFIX=/usr and their own DESTDIR.
# dist makes dist/mail2sms-$(VERSION).tar.gz from the files git tracks: it builds with "make".

SYSCONFDIR ?= /etc
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/mail2sms
INSTALL    ?= install
CONFGROUP  ?= mail2sms

MAN1 := doc/mail2sms.1
MAN5 := doc/mail2sms.conf.5
MAN8 := doc/mail2sms-milter.8
EXAMPLES := conf/postfix/main.cf.milter conf/postfix/master.cf.deliver conf/postfix/transport \
            conf/sendmail/mail2sms.mc

DISTNAME := mail2sms-$(VERSION)

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples/postfix \
	  $(DESTDIR)$(DOCDIR)/examples/sendmail
	$(INSTALL) -m 755 $(BIN)/mail2sms $(DESTDIR)$(BINDIR)/mail2sms
	if [ -e $(BIN)/mail2sms-milter ]; then \
	  $(INSTALL) -d $(DESTDIR)$(SBINDIR) && \
	  $(INSTALL) -m 755 $(BIN)/mail2sms-milter $(DESTDIR)$(SBINDIR)/mail2sms-milter; \
	fi
	$(INSTALL) -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 644 conf/postfix/* $(DESTDIR)$(DOCDIR)/examples/postfix/
	$(INSTALL) -m 644 conf/sendmail/* $(DESTDIR)$(DOCDIR)/examples/sendmail/
	$(INSTALL) -m 644 conf/mail2sms.conf $(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -d -m 755 $(DESTDIR)$(SYSCONFDIR)/mail2sms
	@conf=$(DESTDIR)$(SYSCONFDIR)/mail2sms/mail2sms.conf; \
	if [ -e "$$conf" ]; then \
	  echo "install: $$conf exists, left as it is"; \
	else \
	  echo "$(INSTALL) -m 640 conf/mail2sms.conf $$conf"; \
	  $(INSTALL) -m 640 conf/mail2sms.conf "$$conf" || exit 1; \
	  if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && getent group $(CONFGROUP) >/dev/null; then \
	    chgrp $(CONFGROUP) "$$conf"; \
	  fi; \
	fi

dist:
	@git rev-parse --git-dir >/dev/null 2>&1 || { echo "dist: needs a git checkout" >&2; exit 1; }
	mkdir -p dist
	git ls-files | while IFS= read -r f; do [ -e "$$f" ] || [ -L "$$f" ] && printf '%s\n' "$$f"; done | \
	  LC_ALL=C sort | \
	  tar -c --no-recursion --owner=0 --group=0 --numeric-owner --mtime=@$$(git log -1 --format=%ct) \
	    --transform 's,^,$(DISTNAME)/,S' -T - | gzip -9n > dist/$(DISTNAME).tar.gz.tmp
	mv dist/$(DISTNAME).tar.gz.tmp dist/$(DISTNAME).tar.gz
	@echo "dist/$(DISTNAME).tar.gz"
