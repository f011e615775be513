# install.mk: "make install" and "make dist".
#
# install copies what "make" built, the man pages and the configuration snippets under
# $(DESTDIR)$(PREFIX); the configuration file goes to $(DESTDIR)$(SYSCONFDIR)/mail2sms and is
# never overwritten, since it holds the site's settings and secrets. The packages
# (packaging/debian, packaging/rpm) call it with PREFIX=/usr and their own DESTDIR.
# dist makes dist/mail2sms-$(VERSION).tar.gz from the files git tracks: it builds with "make".
# The tarball carries their list, MANIFEST, so that a tree extracted from it (no .git, as
# packagers build) makes the same tarball again; dist-files prints the list.

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
            conf/sendmail/mail2sms.mc contrib/grafana/mail2sms.json

DISTNAME := mail2sms-$(VERSION)

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples/postfix \
	  $(DESTDIR)$(DOCDIR)/examples/sendmail $(DESTDIR)$(DOCDIR)/examples/grafana
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
	$(INSTALL) -m 644 contrib/grafana/mail2sms.json $(DESTDIR)$(DOCDIR)/examples/grafana/
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

.PHONY: dist-files

# The release's files, one a line, sorted: those git tracks (and that exist) in a checkout,
# those MANIFEST lists in a tree extracted from a release tarball. MANIFEST itself is not
# in the list: dist adds it.
dist-files:
	@if [ -e .git ]; then \
	  git ls-files | while IFS= read -r f; do \
	    if [ -e "$$f" ] || [ -L "$$f" ]; then printf '%s\n' "$$f"; fi; \
	  done; \
	elif [ -f MANIFEST ]; then \
	  grep -v '^MANIFEST$$' MANIFEST; \
	else \
	  echo "dist: neither a git checkout nor a tree with a MANIFEST" >&2; exit 1; \
	fi | LC_ALL=C sort

# The files' time in the tarball: the last commit's, or, with no git, MANIFEST's (the same
# time, since the tarball gave every file that time); so the tarball is reproducible.
dist:
	@rm -rf dist/stage && mkdir -p dist/stage/$(DISTNAME)
	$(MAKE) -s --no-print-directory dist-files >dist/stage/MANIFEST
	if [ -e .git ]; then git log -1 --format=%ct; else stat -c %Y MANIFEST; fi >dist/stage/time
	tar -c --no-recursion -T dist/stage/MANIFEST | tar -x -C dist/stage/$(DISTNAME)
	cp dist/stage/MANIFEST dist/stage/$(DISTNAME)/MANIFEST
	{ cat dist/stage/MANIFEST; echo MANIFEST; } | LC_ALL=C sort | \
	  tar -c -C dist/stage/$(DISTNAME) --no-recursion --owner=0 --group=0 --numeric-owner \
	    --mtime=@$$(cat dist/stage/time) --transform 's,^,$(DISTNAME)/,S' -T - | \
	  gzip -9n > dist/$(DISTNAME).tar.gz.tmp
	mv dist/$(DISTNAME).tar.gz.tmp dist/$(DISTNAME).tar.gz
	rm -rf dist/stage
	@echo "dist/$(DISTNAME).tar.gz"
