/* html.c: HTML to plain text with libxml2's HTML parser (html_to_text).
 *
 * Promises: the text a reader sees, in document order: no CSS, scripts, comments, head or
 * title, nor elements hidden with display:none or the hidden attribute (mail preheaders);
 * block elements and <br> give line breaks, table cells are kept apart by a space so words
 * are never glued, list items start with "- ", blockquote lines start with "> " (so that
 * quote cutting sees them, as in a plain text reply); entities decoded, &nbsp; a plain
 * space, whitespace collapsed except inside <pre>.
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

/* Called when entering (ENTER) or leaving an element. */
static void element_edge(HtmlOut *h, xmlNodePtr node, gboolean enter)
{
	const xmlChar *name = node->name;

	if (g_ascii_strcasecmp((const char *)name, "br") == 0) {
		if (enter && h->out->len > 0)
			h->breaks++;
		return;
	}
	if (is_cell(name)) {
		h->space = TRUE;
		return;
	}
	if (!is_block(name))
		return;
	owe_break(h);
	if (g_ascii_strcasecmp((const char *)name, "pre") == 0)
		h->pre = enter ? h->pre + 1 : h->pre - 1;
	else if (g_ascii_strcasecmp((const char *)name, "blockquote") == 0)
		h->quote = enter ? h->quote + 1 : h->quote - 1;
	else if (g_ascii_strcasecmp((const char *)name, "li") == 0)
		h->bullet = enter;  /* an empty item gets no bullet */
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
	htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
	                                HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET
	                                | HTML_PARSE_RECOVER);
	if (doc == NULL)
		return g_strdup("");

	HtmlOut h = { .out = g_string_sized_new(len / 2 + 16) };
	xmlNodePtr node = xmlDocGetRootElement(doc);

	/* Pre-order walk by links: down into children, else to the next sibling, else back up
	 * (leaving each element) until an ancestor has a next sibling. */
	while (node != NULL) {
		gboolean descend = FALSE;

		if (node->type == XML_ELEMENT_NODE) {
			if (!is_skipped(node)) {
				element_edge(&h, node, TRUE);
				descend = node->children != NULL;
				if (!descend)
					element_edge(&h, node, FALSE);
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
			element_edge(&h, node, FALSE);
		}
		if (node != NULL)
			node = node->next;
	}
	xmlFreeDoc(doc);
	g_autofree char *text = g_string_free(h.out, FALSE);
	return g_strstrip(g_utf8_make_valid(text, -1));
}
