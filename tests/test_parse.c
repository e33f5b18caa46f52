/* Command-line numbers: plain decimal within range, nothing else. */
#include "testlib.h"

#include "parse.h"

#include <errno.h>

static void test_accepts(void **state)
{
    (void)state;
    unsigned v = 0;
    assert_int_equal(cb_parse_uint("16", 1, 4096, &v), 0);
    assert_int_equal(v, 16);
    assert_int_equal(cb_parse_uint("1", 1, 1, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(cb_parse_uint("4096", 1, 4096, &v), 0);
    assert_int_equal(v, 4096);
}

static void test_rejects_junk(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1x",
                                      "x", "0x10", "1.5", "1e3", "--"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned v = 77;
        if (cb_parse_uint(bad[i], 1, 100, &v) != -EINVAL)
            fail_msg("'%s' was not rejected as junk", bad[i]);
        assert_int_equal(v, 77);
    }
}

static void test_rejects_out_of_range(void **state)
{
    (void)state;
    unsigned v = 77;
    assert_int_equal(cb_parse_uint("0", 1, 100, &v), -ERANGE);
    assert_int_equal(cb_parse_uint("101", 1, 100, &v), -ERANGE);
    assert_int_equal(cb_parse_uint("99999999999999999999999", 1, 100, &v),
                     -ERANGE);
    assert_int_equal(cb_parse_uint("4294967296", 1, 4294967295u, &v),
                     -ERANGE);
    assert_int_equal(v, 77);
}

/* Sizes (--payload, --parent-rss): binary units, within a maximum that
 * need not fit in 32 bits; names show them back the same way. */
static void test_sizes(void **state)
{
    (void)state;
    const uint64_t max = 16ull << 30;
    static const struct {
        const char *text;
        uint64_t bytes;
        const char *shown;
    } good[] = {{"0", 0, "0"},           {"4096", 4096, "4K"},
                {"4K", 4096, "4K"},      {"4097", 4097, "4097"},
                {"100M", 100ull << 20, "100M"},
                {"1024M", 1ull << 30, "1G"},
                {"16G", 16ull << 30, "16G"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 77;
        char shown[32];
        assert_int_equal(cb_parse_size(good[i].text, max, &v), 0);
        assert_true(v == good[i].bytes);
        cb_format_size(v, shown, sizeof shown);
        assert_string_equal(shown, good[i].shown);
    }
    static const char *const junk[] = {"", "-1", "+1", " 1", "1.5G", "1T",
                                       "1g", "1GB", "G", "1 G", "0x10"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        uint64_t v = 77;
        if (cb_parse_size(junk[i], max, &v) != -EINVAL)
            fail_msg("'%s' was not rejected as junk", junk[i]);
        assert_true(v == 77);
    }
    static const char *const big[] = {"17G", "16385M", "17179869185",
                                      "99999999999999999999999"};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        uint64_t v = 77;
        if (cb_parse_size(big[i], max, &v) != -ERANGE)
            fail_msg("'%s' was not rejected as out of range", big[i]);
        assert_true(v == 77);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_rejects_junk),
        cmocka_unit_test(test_rejects_out_of_range),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
