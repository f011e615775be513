/* test_gsm.c: GSM 03.38 tables, segment counting, transliteration and truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "gsm.h"

/* N copies of the UTF-8 character C. */
static char *repeat(const char *c, guint n)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < n; i++)
		g_string_append(s, c);
	return g_string_free(s, FALSE);
}

static void assert_parts(const char *text, GsmEncoding enc, guint parts, gboolean transliterate)
{
	g_autoptr(GsmMessage) m = gsm_prepare(text, 10, transliterate);
	assert_int_equal(m->encoding, enc);
	assert_int_equal(m->segments, parts);
	assert_false(m->truncated);
	assert_string_equal(m->text, text);
	assert_int_equal(gsm_count_segments(text, enc), parts);
}

static void gsm7_160_chars_is_one_segment(void **state)
{
	(void)state;
	g_autofree char *t = repeat("a", 160);
	assert_parts(t, GSM_ENC_GSM7, 1, FALSE);
}

static void gsm7_161_chars_is_two_segments(void **state)
{
	(void)state;
	g_autofree char *t = repeat("a", 161);
	assert_parts(t, GSM_ENC_GSM7, 2, FALSE);
}

static void gsm7_306_chars_is_two_segments(void **state)
{
	(void)state;
	g_autofree char *t = repeat("a", 306);
	assert_parts(t, GSM_ENC_GSM7, 2, FALSE);
}

static void gsm7_307_chars_is_three_segments(void **state)
{
	(void)state;
	g_autofree char *t = repeat("a", 307);
	assert_parts(t, GSM_ENC_GSM7, 3, FALSE);
}

static void ucs2_70_chars_is_one_segment(void **state)
{
	(void)state;
	g_autofree char *t = repeat("ê", 70);
	assert_parts(t, GSM_ENC_UCS2, 1, FALSE);
}

static void ucs2_71_chars_is_two_segments(void **state)
{
	(void)state;
	g_autofree char *t = repeat("ê", 71);
	assert_parts(t, GSM_ENC_UCS2, 2, FALSE);
}

static void ucs2_134_chars_is_two_segments(void **state)
{
	(void)state;
	g_autofree char *t = repeat("ê", 134);
	assert_parts(t, GSM_ENC_UCS2, 2, FALSE);
}

static void ucs2_135_chars_is_three_segments(void **state)
{
	(void)state;
	g_autofree char *t = repeat("ê", 135);
	assert_parts(t, GSM_ENC_UCS2, 3, FALSE);
}

static void one_non_gsm_char_makes_whole_text_ucs2(void **state)
{
	(void)state;
	g_autofree char *a = repeat("a", 100);
	g_autofree char *t = g_strconcat(a, "ç", NULL);
	assert_parts(t, GSM_ENC_UCS2, 2, FALSE);
}

static void septets_follow_basic_and_extension_tables(void **state)
{
	(void)state;
	const char *basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà";
	for (const char *s = basic; *s; s = g_utf8_next_char(s))
		assert_int_equal(gsm_septets(g_utf8_get_char(s)), 1);
	const char *ext = "\f^{}\\[~]|€";
	for (const char *s = ext; *s; s = g_utf8_next_char(s))
		assert_int_equal(gsm_septets(g_utf8_get_char(s)), 2);
	const char *none = "`êâîôûëïçœ°\t“…\u00a0😀";
	for (const char *s = none; *s; s = g_utf8_next_char(s))
		assert_int_equal(gsm_septets(g_utf8_get_char(s)), 0);
}

static void extension_char_counts_two_septets(void **state)
{
	(void)state;
	g_autofree char *a = repeat("a", 159);
	g_autofree char *t = g_strconcat(a, "€", NULL);
	assert_parts(t, GSM_ENC_GSM7, 2, FALSE);
	g_autofree char *b = repeat("a", 158);
	g_autofree char *u = g_strconcat(b, "€", NULL);
	assert_parts(u, GSM_ENC_GSM7, 1, FALSE);
}

/* 152 + escape pair + 152: 306 septets, but the pair cannot straddle parts 1 and 2. */
static void escape_pair_is_never_split_across_parts(void **state)
{
	(void)state;
	g_autofree char *a = repeat("a", 152);
	g_autofree char *t = g_strconcat(a, "€", a, NULL);
	assert_int_equal(gsm_count_segments(t, GSM_ENC_GSM7), 3);
	g_autofree char *b = repeat("a", 151);
	g_autofree char *u = g_strconcat(b, "€", b, NULL);
	assert_int_equal(gsm_count_segments(u, GSM_ENC_GSM7), 2);
}

static void extension_char_at_truncation_limit_is_not_split(void **state)
{
	(void)state;
	/* 156 + 2 + "..." = 161 septets: the euro does not fit, and nothing of it is kept. */
	g_autofree char *a = repeat("a", 156);
	g_autofree char *t = g_strconcat(a, "€bbbbbbbbbb", NULL);
	g_autoptr(GsmMessage) m = gsm_prepare(t, 1, TRUE);
	assert_true(m->truncated);
	assert_int_equal(m->encoding, GSM_ENC_GSM7);
	assert_int_equal(m->segments, 1);
	g_autofree char *want = g_strconcat(a, "...", NULL);
	assert_string_equal(m->text, want);

	/* At a part boundary of a two-part limit. */
	g_autofree char *c = repeat("c", 152);
	g_autofree char *d = repeat("d", 300);
	g_autofree char *t2 = g_strconcat(c, "€", d, NULL);
	g_autoptr(GsmMessage) m2 = gsm_prepare(t2, 2, TRUE);
	assert_true(m2->truncated);
	assert_true(m2->segments <= 2);
	assert_non_null(strstr(m2->text, "€"));
	assert_true(g_str_has_suffix(m2->text, "..."));
}

static void emoji_counts_two_units(void **state)
{
	(void)state;
	g_autofree char *t35 = repeat("😀", 35);
	assert_parts(t35, GSM_ENC_UCS2, 1, FALSE);
	g_autofree char *t36 = repeat("😀", 36);
	assert_parts(t36, GSM_ENC_UCS2, 2, FALSE);
	g_autoptr(GsmMessage) m = gsm_prepare(t36, 3, FALSE);
	assert_int_equal(m->characters, 36);
}

static void emoji_is_not_split_at_part_or_truncation_limit(void **state)
{
	(void)state;
	/* 66 + emoji: the surrogate pair moves whole to part 2. */
	g_autofree char *e = repeat("ê", 66);
	g_autofree char *t = g_strconcat(e, "😀", e, NULL);
	assert_int_equal(gsm_count_segments(t, GSM_ENC_UCS2), 3);

	/* 68 + "…" = 69 units; the emoji (2 more) does not fit and is not half kept. */
	g_autofree char *f = repeat("ê", 68);
	g_autofree char *u = g_strconcat(f, "😀x", NULL);
	g_autoptr(GsmMessage) m = gsm_prepare(u, 1, FALSE);
	assert_true(m->truncated);
	assert_int_equal(m->segments, 1);
	assert_int_equal(m->characters, 69);
	g_autofree char *want = g_strconcat(f, "…", NULL);
	assert_string_equal(m->text, want);
}

static void transliteration_on_makes_typography_gsm7(void **state)
{
	(void)state;
	g_autoptr(GsmMessage) g = gsm_prepare("“Serveur” – arret… «prévu»\u00a0: 2×3 • ok ‘x’", 3, TRUE);
	assert_int_equal(g->encoding, GSM_ENC_GSM7);
	assert_string_equal(g->text, "\"Serveur\" - arret... \"prévu\" : 2x3 - ok 'x'");
	assert_false(g->truncated);
}

static void transliteration_off_keeps_typography_in_ucs2(void **state)
{
	(void)state;
	const char *t = "“Serveur” – arret…";
	g_autoptr(GsmMessage) m = gsm_prepare(t, 3, FALSE);
	assert_int_equal(m->encoding, GSM_ENC_UCS2);
	assert_string_equal(m->text, t);
}

static void transliteration_not_applied_when_text_needs_ucs2(void **state)
{
	(void)state;
	const char *t = "“Fête” – demain…";
	g_autoptr(GsmMessage) m = gsm_prepare(t, 3, TRUE);
	assert_int_equal(m->encoding, GSM_ENC_UCS2);
	assert_string_equal(m->text, t);
}

static void accented_letters_are_never_transliterated(void **state)
{
	(void)state;
	g_autoptr(GsmMessage) m = gsm_prepare("Tâche ôtée, cœur", 3, TRUE);
	assert_int_equal(m->encoding, GSM_ENC_UCS2);
	assert_string_equal(m->text, "Tâche ôtée, cœur");
}

static void truncation_fits_max_segments_and_ends_with_ellipsis(void **state)
{
	(void)state;
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 250; i++)
		g_string_append(s, "word ");
	for (guint max = 1; max <= 6; max++) {
		g_autoptr(GsmMessage) m = gsm_prepare(s->str, max, TRUE);
		assert_true(m->truncated);
		assert_int_equal(m->encoding, GSM_ENC_GSM7);
		assert_true(m->segments <= max);
		assert_true(g_str_has_suffix(m->text, "..."));
		/* Cut after a whole word, not inside one. */
		assert_true(g_str_has_suffix(m->text, "word..."));
		assert_int_equal(m->characters, g_utf8_strlen(m->text, -1));
		assert_int_equal(m->segments, gsm_count_segments(m->text, GSM_ENC_GSM7));
	}
	g_string_free(s, TRUE);
}

static void truncation_in_ucs2_ends_with_unicode_ellipsis(void **state)
{
	(void)state;
	g_autofree char *t = repeat("fête ", 200);
	g_autoptr(GsmMessage) m = gsm_prepare(t, 2, TRUE);
	assert_true(m->truncated);
	assert_int_equal(m->encoding, GSM_ENC_UCS2);
	assert_true(m->segments <= 2);
	assert_true(g_str_has_suffix(m->text, "…"));
	assert_true(g_utf8_strlen(m->text, -1) <= 134);
	assert_true(g_utf8_strlen(m->text, -1) >= 120);
}

static void text_that_fits_is_not_truncated(void **state)
{
	(void)state;
	g_autofree char *t = repeat("z", 459);
	g_autoptr(GsmMessage) m = gsm_prepare(t, 3, TRUE);
	assert_false(m->truncated);
	assert_int_equal(m->segments, 3);
	assert_int_equal(m->characters, 459);
}

static void empty_text_is_one_empty_segment(void **state)
{
	(void)state;
	g_autoptr(GsmMessage) m = gsm_prepare("", 3, TRUE);
	assert_string_equal(m->text, "");
	assert_int_equal(m->segments, 1);
	assert_int_equal(m->characters, 0);
	assert_int_equal(m->encoding, GSM_ENC_GSM7);
	assert_false(m->truncated);
	g_autoptr(GsmMessage) n = gsm_prepare(NULL, 3, TRUE);
	assert_string_equal(n->text, "");
	assert_int_equal(gsm_count_segments("", GSM_ENC_UCS2), 1);
}

static void zero_max_segments_means_one(void **state)
{
	(void)state;
	g_autofree char *t = repeat("a", 400);
	g_autoptr(GsmMessage) m = gsm_prepare(t, 0, TRUE);
	assert_int_equal(m->segments, 1);
	assert_true(m->truncated);
}

static void invalid_utf8_is_made_valid(void **state)
{
	(void)state;
	g_autoptr(GsmMessage) m = gsm_prepare("ab\xff\xfe" "cd", 3, TRUE);
	assert_true(g_utf8_validate(m->text, -1, NULL));
	assert_non_null(strstr(m->text, "cd"));
}

/* What N parts hold: the room a text built to fit (a digest) is given. */
static void capacity_of_parts(void **state)
{
	(void)state;
	assert_int_equal(gsm_capacity(GSM_ENC_GSM7, 0), 160);
	assert_int_equal(gsm_capacity(GSM_ENC_GSM7, 1), 160);
	assert_int_equal(gsm_capacity(GSM_ENC_GSM7, 2), 306);
	assert_int_equal(gsm_capacity(GSM_ENC_GSM7, 6), 918);
	assert_int_equal(gsm_capacity(GSM_ENC_UCS2, 1), 70);
	assert_int_equal(gsm_capacity(GSM_ENC_UCS2, 3), 201);
	for (guint n = 1; n <= 6; n++) {
		g_autofree char *a = repeat("a", gsm_capacity(GSM_ENC_GSM7, n));
		g_autofree char *e = repeat("\u00ea", gsm_capacity(GSM_ENC_UCS2, n));
		assert_int_equal(gsm_count_segments(a, GSM_ENC_GSM7), n);
		assert_int_equal(gsm_count_segments(e, GSM_ENC_UCS2), n);
	}
}

/* gsm_encoding decides as gsm_prepare does. */
static void encoding_as_prepared(void **state)
{
	static const char *const texts[] = {
		"abc", "", "\u00ea", "\u201cx\u201d", "\u201cx\u201d \u00ea", "\u20ac {}",
		"ab\xff",
	};
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++)
		for (int t = 0; t <= 1; t++) {
			g_autoptr(GsmMessage) m = gsm_prepare(texts[i], 6, t);
			assert_int_equal(gsm_encoding(texts[i], t), m->encoding);
		}
	assert_int_equal(gsm_encoding("\u201cx\u201d", TRUE), GSM_ENC_GSM7);
	assert_int_equal(gsm_encoding("\u201cx\u201d", FALSE), GSM_ENC_UCS2);
	assert_int_equal(gsm_encoding(NULL, TRUE), GSM_ENC_GSM7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gsm7_160_chars_is_one_segment),
		cmocka_unit_test(gsm7_161_chars_is_two_segments),
		cmocka_unit_test(gsm7_306_chars_is_two_segments),
		cmocka_unit_test(gsm7_307_chars_is_three_segments),
		cmocka_unit_test(ucs2_70_chars_is_one_segment),
		cmocka_unit_test(ucs2_71_chars_is_two_segments),
		cmocka_unit_test(ucs2_134_chars_is_two_segments),
		cmocka_unit_test(ucs2_135_chars_is_three_segments),
		cmocka_unit_test(one_non_gsm_char_makes_whole_text_ucs2),
		cmocka_unit_test(septets_follow_basic_and_extension_tables),
		cmocka_unit_test(extension_char_counts_two_septets),
		cmocka_unit_test(escape_pair_is_never_split_across_parts),
		cmocka_unit_test(extension_char_at_truncation_limit_is_not_split),
		cmocka_unit_test(emoji_counts_two_units),
		cmocka_unit_test(emoji_is_not_split_at_part_or_truncation_limit),
		cmocka_unit_test(transliteration_on_makes_typography_gsm7),
		cmocka_unit_test(transliteration_off_keeps_typography_in_ucs2),
		cmocka_unit_test(transliteration_not_applied_when_text_needs_ucs2),
		cmocka_unit_test(accented_letters_are_never_transliterated),
		cmocka_unit_test(truncation_fits_max_segments_and_ends_with_ellipsis),
		cmocka_unit_test(truncation_in_ucs2_ends_with_unicode_ellipsis),
		cmocka_unit_test(text_that_fits_is_not_truncated),
		cmocka_unit_test(empty_text_is_one_empty_segment),
		cmocka_unit_test(zero_max_segments_means_one),
		cmocka_unit_test(invalid_utf8_is_made_valid),
		cmocka_unit_test(capacity_of_parts),
		cmocka_unit_test(encoding_as_prepared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
