/*
 * The async mode runs a batch on the calling thread alone: T io_sleep tasks
 * wait concurrently as timers without any other thread or process, at most
 * W at once in W slots; computing tasks run inline on the calling thread;
 * a timer task's value is the time it waited. No timing is asserted but
 * "well under the serial time", as in test_modes.
 */
#include "loop_checks.h"

static void test_timers_overlap_on_one_thread(void **state)
{
    (void)state;
    check_one_thread("async");
}

static void test_slots_are_a_semaphore(void **state)
{
    (void)state;
    check_slots_are_a_semaphore("async");
}

static void test_inline_tasks_on_calling_thread(void **state)
{
    (void)state;
    check_inline_tasks("async");
}

static void test_timeout(void **state)
{
    (void)state;
    check_timeout("async");
}

static void test_usage_is_charged(void **state)
{
    (void)state;
    check_usage_is_charged("async");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_overlap_on_one_thread),
        cmocka_unit_test(test_slots_are_a_semaphore),
        cmocka_unit_test(test_inline_tasks_on_calling_thread),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_usage_is_charged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
