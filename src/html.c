/* html.c: HTML to plain text with libxml2's HTML parser (html_to_text).
 *
 * Promises: the text a reader sees, in document order: no CSS, scripts, comments, head or
 * title, nor elements hidden with display:none or the hidden attribute (mail preheaders);
 * block elements and <br> give line breaks, table cells are kept apart by a space so words
 * are never glued, list items start with "- ", blockquote lines start with "> " (so that
 * quote cutting sees them, as in a plain text reply); entities decoded, &nbsp; a plain
 * space, whitespace collapsed except inside <pre>.
 *
 * HTML nested deeper than libxml2 accepts (256 levels; lifting the limit would lift every
 * bound) is not lost: when the parser halts, one linear pass strips the tags instead.
 *
 * Must not: fetch anything (HTML_PARSE_NONET), print parser complaints, recurse on the
 * document depth (the walk follows parent/next links), keep state. The input is UTF-8
 * (bytes that are not are read as charset.c reads unlabelled mail); a <meta> charset is
 * not obeyed. */
#include <limits.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html.h"
#include "charset.h"

typedef struct {
	GString *out;
	gboolean space;        /* a space is owed before the next word */
	guint breaks;          /* line breaks owed before the next word */
	guint pre;             /* depth of <pre> */
	guint quote;           /* depth of <blockquote> */
	gboolean bullet;       /* a list item's "- " is owed before its first word */
} HtmlOut;

static gboolean name_in(const xmlChar *name, const char *const *names)
{
	for (; *names; names++)
		if (g_ascii_strcasecmp((const char *)name, *names) == 0)
			return TRUE;
	return FALSE;
}

/* Elements whose content a reader never sees. */
static gboolean is_skipped(xmlNodePtr node)
{
	static const char *const names[] = {
		"script", "style", "head", "title", "noscript", "template", "meta", "link",
		"object", "embed", "iframe", "svg", "math", "select", "button", "img", NULL
	};
	if (name_in(node->name, names))
		return TRUE;
	if (xmlHasProp(node, (const xmlChar *)"hidden") != NULL)
		return TRUE;
	xmlChar *style = xmlGetProp(node, (const xmlChar *)"style");
	gboolean hidden = FALSE;
	if (style != NULL) {
		g_autofree char *s = g_ascii_strdown((const char *)style, -1);
		g_autofree char *compact = g_strdup(s);
		char *w = compact;
		for (const char *r = s; *r; r++)
			if (!g_ascii_isspace(*r))
				*w++ = *r;
		*w = '\0';
		hidden = strstr(compact, "display:none") != NULL
		         || strstr(compact, "visibility:hidden") != NULL;
		xmlFree(style);
	}
	return hidden;
}

/* Elements that start and end a line. */
static gboolean is_block(const xmlChar *name)
{
	static const char *const names[] = {
		"p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead",
		"tbody", "tfoot", "caption", "hr", "blockquote", "pre", "section", "article",
		"header", "footer", "nav", "aside", "main", "ul", "ol", "dl", "dt", "dd", "form",
		"fieldset", "legend", "address", "figure", "figcaption", "center", "details",
		"summary", "body", "html", "option", "textarea", NULL
	};
	return name_in(name, names);
}

static gboolean is_cell(const xmlChar *name)
{
	static const char *const names[] = { "td", "th", NULL };
	return name_in(name, names);
}

/* Writes owed breaks (with the quote prefix for the new line) or the owed space. */
static void flush_pending(HtmlOut *h)
{
	if (h->out->len == 0) {
		h->breaks = 0;
		h->space = FALSE;
	}
	if (h->breaks > 0) {
		for (guint i = 0; i < h->breaks; i++)
			g_string_append_c(h->out, '\n');
		h->breaks = 0;
		h->space = FALSE;
	} else if (h->space) {
		g_string_append_c(h->out, ' ');
		h->space = FALSE;
	}
	/* One mark whatever the depth: text_clean only needs to see a quoted line, and one
	 * per level would let nested blockquotes multiply the text. */
	if (h->quote > 0 && (h->out->len == 0 || h->out->str[h->out->len - 1] == '\n'))
		g_string_append(h->out, "> ");
	if (h->bullet) {
		g_string_append(h->out, "- ");
		h->bullet = FALSE;
	}
}

static void owe_break(HtmlOut *h)
{
	if (h->breaks == 0)
		h->breaks = 1;
}

/* Appends a text node: whitespace runs (and no-break spaces) collapse to one owed space,
 * except in <pre> where line breaks are kept. */
static void add_text(HtmlOut *h, const char *text)
{
	for (const char *s = text; *s; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);

		if (h->pre > 0 && c == '\n') {
			h->breaks++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0xA0) {
			h->space = TRUE;
			continue;
		}
		flush_pending(h);
		g_string_append_unichar(h->out, c);
	}
}

/* Called when entering (ENTER) or leaving the element NAME. */
static void element_edge(HtmlOut *h, const char *name, gboolean enter)
{
	if (g_ascii_strcasecmp(name, "br") == 0) {
		if (enter && h->out->len > 0)
			h->breaks++;
		return;
	}
	if (is_cell((const xmlChar *)name)) {
		h->space = TRUE;
		return;
	}
	if (!is_block((const xmlChar *)name))
		return;
	owe_break(h);
	/* Never below zero: the tag-stripping pass meets end tags that nothing opened. */
	if (g_ascii_strcasecmp(name, "pre") == 0)
		h->pre = enter ? h->pre + 1 : h->pre > 0 ? h->pre - 1 : 0;
	else if (g_ascii_strcasecmp(name, "blockquote") == 0)
		h->quote = enter ? h->quote + 1 : h->quote > 0 ? h->quote - 1 : 0;
	else if (g_ascii_strcasecmp(name, "li") == 0)
		h->bullet = enter;  /* an empty item gets no bullet */
}

/* Elements whose content the tag-stripping pass drops up to their end tag: nothing in them
 * is text a reader sees, and script or style may hold a '<' that is not a tag. */
static const char *const raw_skipped[] = {
	"script", "style", "title", "template", "noscript", "svg", "math", "select", "button",
	"object", "iframe", NULL
};

/* Where "</NAME" (any case) starts at or after P, else END. */
static const char *find_end_tag(const char *p, const char *end, const char *name)
{
	gsize n = strlen(name);

	for (; (gsize)(end - p) >= n + 2; p++)
		if (p[0] == '<' && p[1] == '/' && g_ascii_strncasecmp(p + 2, name, n) == 0)
			return p;
	return end;
}

/* Appends the character reference at P (an '&') decoded and returns the bytes it takes, or
 * 0 when it is none (the '&' is text then). Code points that are not characters (NUL,
 * surrogates, beyond U+10FFFF) become U+FFFD. */
static gsize append_reference(GString *out, const char *p, const char *end)
{
	const char *q = p + 1;
	gunichar c = 0;

	if (q < end && *q == '#') {
		gboolean hex = q + 1 < end && (q[1] == 'x' || q[1] == 'X');
		const char *digits = q += hex ? 2 : 1;

		/* Eight digits at most: the value cannot overflow. */
		for (; q < end && q - digits < 8 && (hex ? g_ascii_isxdigit(*q) : g_ascii_isdigit(*q));
		     q++)
			c = c * (hex ? 16 : 10) + (hex ? g_ascii_xdigit_value(*q) : *q - '0');
		if (q == digits)
			return 0;
		if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			c = 0xFFFD;
	} else {
		char name[33];
		gsize n = 0;
		const htmlEntityDesc *e;

		while (q < end && n < sizeof name - 1 && g_ascii_isalnum(*q))
			name[n++] = *q++;
		name[n] = '\0';
		if (n == 0 || (e = htmlEntityLookup((const xmlChar *)name)) == NULL)
			return 0;
		c = e->value;
	}
	if (q < end && *q == ';')
		q++;
	g_string_append_unichar(out, c);
	return q - p;
}

/* The text of HTML the parser gave up on (libxml2 stops at a nesting depth of 256 and
 * drops everything after): tags stripped in one pass over the bytes, with the tree walk's
 * line breaks, cells, list items and quote marks; comments, and script, style and the like
 * up to their end tag, dropped. Linear in LEN, no stack. Elements hidden by an attribute
 * cannot be told apart here and are kept: better a preheader too many than a text lost. */
static void strip_tags(HtmlOut *h, const char *html, gsize len)
{
	const char *p = html, *end = html + len;
	GString *text = g_string_new(NULL);

	while (p < end) {
		if (*p == '&') {
			gsize n = append_reference(text, p, end);
			if (n > 0) {
				p += n;
				continue;
			}
		}
		if (*p != '<' || end - p < 2
		    || !(g_ascii_isalpha(p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?')) {
			g_string_append_c(text, *p++);
			continue;
		}
		/* A tag, comment or declaration: the text before it goes out first. */
		add_text(h, text->str);
		g_string_truncate(text, 0);
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			const char *close = g_strstr_len(p + 4, end - p - 4, "-->");
			p = close ? close + 3 : end;
			continue;
		}
		gboolean closing = p[1] == '/';
		const char *name = p + (closing ? 2 : 1), *q = name;
		while (q < end && (g_ascii_isalnum(*q) || *q == '-'))
			q++;
		g_autofree char *tag = g_ascii_strdown(name, q - name);
		/* The tag ends at the first '>' outside a quoted attribute value. */
		char quote = 0;
		for (; q < end && (quote || *q != '>'); q++)
			if (quote ? *q == quote : (*q == '"' || *q == '\''))
				quote = quote ? 0 : *q;
		p = q < end ? q + 1 : end;
		if (*tag == '\0')
			continue;  /* <!DOCTYPE ...>, <?xml ...?> */
		if (!closing && name_in((const xmlChar *)tag, raw_skipped)) {
			p = find_end_tag(p, end, tag);
			continue;
		}
		element_edge(h, tag, !closing);
	}
	add_text(h, text->str);
	g_string_free(text, TRUE);
}

char *html_to_text(const char *html, gsize len)
{
	g_autofree char *repaired = NULL;

	if (html == NULL || len == 0)
		return g_strdup("");
	if (len > INT_MAX)
		len = INT_MAX;
	/* libxml2 passes bytes that are not UTF-8 through to the text nodes: repair first. */
	if (!g_utf8_validate(html, len, NULL)) {
		repaired = text_to_utf8(html, len, NULL);
		html = repaired;
		len = MIN(strlen(repaired), (gsize)INT_MAX);
	}
	htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
	if (ctxt == NULL)
		return g_strdup("");
	htmlDocPtr doc = htmlCtxtReadMemory(ctxt, html, (int)len, NULL, "UTF-8",
	                                    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING
	                                    | HTML_PARSE_NONET | HTML_PARSE_RECOVER);
	/* Recovered errors leave SAX on; only a fatal one (the nesting limit, which the
	 * unbounded HTML_PARSE_HUGE would lift) halts the parser with the rest unread. */
	gboolean halted = ctxt->disableSAX != 0;
	htmlFreeParserCtxt(ctxt);

	HtmlOut h = { .out = g_string_sized_new(len / 2 + 16) };
	if (halted || doc == NULL) {
		if (doc != NULL)
			xmlFreeDoc(doc);
		strip_tags(&h, html, len);
		g_autofree char *text = g_string_free(h.out, FALSE);
		return g_strstrip(g_utf8_make_valid(text, -1));
	}
	xmlNodePtr node = xmlDocGetRootElement(doc);

	/* Pre-order walk by links: down into children, else to the next sibling, else back up
	 * (leaving each element) until an ancestor has a next sibling. */
	while (node != NULL) {
		gboolean descend = FALSE;

		if (node->type == XML_ELEMENT_NODE) {
			if (!is_skipped(node)) {
				element_edge(&h, (const char *)node->name, TRUE);
				descend = node->children != NULL;
				if (!descend)
					element_edge(&h, (const char *)node->name, FALSE);
			}
		} else if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
			if (node->content != NULL)
				add_text(&h, (const char *)node->content);
		}
		if (descend) {
			node = node->children;
			continue;
		}
		while (node != NULL && node->next == NULL) {
			node = node->parent;
			if (node == NULL || node->type == XML_DOCUMENT_NODE
			    || node->type == XML_HTML_DOCUMENT_NODE) {
				node = NULL;
				break;
			}
			element_edge(&h, (const char *)node->name, FALSE);
		}
		if (node != NULL)
			node = node->next;
	}
	xmlFreeDoc(doc);
	g_autofree char *text = g_string_free(h.out, FALSE);
	return g_strstrip(g_utf8_make_valid(text, -1));
}
