/* test_html.c: html_to_text (libxml2's HTML parser, tree walk to plain text). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "message.h"

#include "html.h"

static char *h2t(const char *html)
{
	return html_to_text(html, strlen(html));
}

static void script_style_comment_title_are_removed(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<html><head><title>Title here</title>"
	                         "<style>td { font-family: Arial }</style></head><body>"
	                         "<script>alert('x')</script><!-- hidden note -->Visible"
	                         "<noscript>enable js</noscript></body></html>");
	assert_string_equal(t, "Visible");
}

static void br_and_p_give_line_breaks(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<p>one</p><p>two<br>three</p>four<div>five</div>six");
	assert_string_equal(t, "one\ntwo\nthree\nfour\nfive\nsix");
}

static void table_cells_are_not_glued(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<table><tr><td>Host:</td><td>web-03</td></tr>"
	                         "<tr><th>State</th><td>DOWN</td></tr></table>");
	assert_string_equal(t, "Host: web-03\nState DOWN");
}

static void entities_are_decoded_and_nbsp_is_a_space(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<p>Op&eacute;rateur : &lt;ops&gt; &amp; astreinte, 881&nbsp;204 "
	                         "&#8364; &#x263A;</p>");
	assert_string_equal(t, "Opérateur : <ops> & astreinte, 881 204 € ☺");
}

static void whitespace_is_collapsed(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<body>\n  a \t\n  b   <b>c</b>\n\n<i> d</i></body>");
	assert_string_equal(t, "a b c d");
}

static void inline_elements_keep_words_apart_only_where_spaced(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<p><b>bold</b><i>italic</i> <a href='x'>link</a></p>");
	assert_string_equal(t, "bolditalic link");
}

static void pre_keeps_line_breaks(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<pre>line 1\nline 2</pre>");
	assert_string_equal(t, "line 1\nline 2");
}

static void list_items_start_lines(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<ul><li>disk</li><li></li><li>cpu</li></ul>");
	assert_string_equal(t, "- disk\n- cpu");
}

static void blockquote_lines_are_marked_as_quotes(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<p>Yes.</p><blockquote><p>Are you there?</p>"
	                         "<p>Sure?</p></blockquote>");
	assert_string_equal(t, "Yes.\n> Are you there?\n> Sure?");
}

static void hidden_elements_are_removed(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<div style=\"display: none; max-height:0\">preheader</div>"
	                         "<span hidden>secret</span><p>shown</p><img alt='logo' src='x'>");
	assert_string_equal(t, "shown");
}

static void broken_html_is_recovered(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<p>open <b>bold <td>cell</p></div></span>&bogus; < 3");
	assert_non_null(strstr(t, "open"));
	assert_non_null(strstr(t, "cell"));
	assert_null(strstr(t, "<p>"));
}

static void empty_and_text_only_input(void **state)
{
	(void)state;
	g_autofree char *a = html_to_text("", 0);
	assert_string_equal(a, "");
	g_autofree char *b = html_to_text(NULL, 0);
	assert_string_equal(b, "");
	g_autofree char *c = h2t("just text");
	assert_string_equal(c, "just text");
}

static void bytes_that_are_not_utf8_give_utf8(void **state)
{
	(void)state;
	g_autofree char *t = h2t("<p>d\xe9p\xf4t \xff\xfe &#xD800; &#0; ok</p>");
	assert_true(g_utf8_validate(t, -1, NULL));
	assert_non_null(strstr(t, "dépôt"));
	assert_non_null(strstr(t, "ok"));
}

static void deep_nesting_does_not_crash(void **state)
{
	(void)state;
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 5000; i++)
		g_string_append(s, "<div>");
	g_string_append(s, "deep");
	g_autofree char *t = html_to_text(s->str, s->len);
	assert_true(g_utf8_validate(t, -1, NULL));
	g_string_free(s, TRUE);
}

/* Deeper than libxml2's nesting limit (256): the text inside and after is kept. */
static void text_deeper_than_the_parser_limit_is_kept(void **state)
{
	(void)state;
	GString *s = g_string_new("<html><body><p>before</p>");
	for (int i = 0; i < 300; i++)
		g_string_append(s, "<div>");
	g_string_append(s, "deep text &amp; more");
	for (int i = 0; i < 300; i++)
		g_string_append(s, "</div>");
	g_string_append(s, "<p>after</p><script>var hidden;</script></body></html>");
	g_autofree char *t = html_to_text(s->str, s->len);
	g_string_free(s, TRUE);
	assert_true(g_utf8_validate(t, -1, NULL));
	if (!strstr(t, "before") || !strstr(t, "deep text & more") || !strstr(t, "after"))
		fail_msg("text lost: '%s'", t);
	assert_null(strstr(t, "<div>"));
	assert_null(strstr(t, "hidden"));
}

/* Past the limit, broken pieces at the end of the input (a tag, comment, reference or end
 * tag search that never ends) cost one pass and give valid UTF-8. */
static void broken_html_deeper_than_the_limit_is_bounded(void **state)
{
	static const char *const tails[] = { "<p class=\"open>x", "<!-- open", "&#x1F600", "&#0;",
	                                     "&#xD800;", "&amp", "<script>a<b", "</", "<", "&" };
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(tails); i++) {
		GString *s = g_string_new(NULL);
		for (int d = 0; d < 300; d++)
			g_string_append(s, "<blockquote><pre>");
		g_string_append_printf(s, "text %s", tails[i]);
		g_autofree char *t = html_to_text(s->str, s->len);
		g_string_free(s, TRUE);
		assert_true(g_utf8_validate(t, -1, NULL));
		if (strstr(t, "text") == NULL)
			fail_msg("'%s': text lost: '%s'", tails[i], t);
	}
}

/* Nested quotes cost one "> " per line, not one per level: 250 levels of blockquote over
 * many short lines must not multiply the input hundreds of times. */
static void nested_quotes_stay_bounded(void **state)
{
	(void)state;
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 250; i++)
		g_string_append(s, "<blockquote>");
	while (s->len < 200000)
		g_string_append(s, "<br>x");
	g_autofree char *t = html_to_text(s->str, s->len);
	assert_true(strlen(t) < 2 * s->len);
	assert_true(g_str_has_prefix(t, ">"));
	g_string_free(s, TRUE);
}

int main(void)
{
	msg_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(script_style_comment_title_are_removed),
		cmocka_unit_test(br_and_p_give_line_breaks),
		cmocka_unit_test(table_cells_are_not_glued),
		cmocka_unit_test(entities_are_decoded_and_nbsp_is_a_space),
		cmocka_unit_test(whitespace_is_collapsed),
		cmocka_unit_test(inline_elements_keep_words_apart_only_where_spaced),
		cmocka_unit_test(pre_keeps_line_breaks),
		cmocka_unit_test(list_items_start_lines),
		cmocka_unit_test(text_deeper_than_the_parser_limit_is_kept),
		cmocka_unit_test(broken_html_deeper_than_the_limit_is_bounded),
		cmocka_unit_test(blockquote_lines_are_marked_as_quotes),
		cmocka_unit_test(hidden_elements_are_removed),
		cmocka_unit_test(broken_html_is_recovered),
		cmocka_unit_test(empty_and_text_only_input),
		cmocka_unit_test(bytes_that_are_not_utf8_give_utf8),
		cmocka_unit_test(deep_nesting_does_not_crash),
		cmocka_unit_test(nested_quotes_stay_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
