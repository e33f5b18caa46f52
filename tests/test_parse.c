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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_rejects_junk),
        cmocka_unit_test(test_rejects_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
