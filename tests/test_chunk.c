/*
 * Pool chunking: a pool worker takes job->chunk consecutive tasks at a time,
 * so each chunk's tasks run in one worker, one after another, in order; and
 * "auto" is Python's Pool.map rule, ceil(T / (4 W)).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>

static void test_auto_is_pool_maps_rule(void **state)
{
    (void)state;
    /* divmod(T, 4 W), plus one if there is a remainder */
    assert_int_equal(cb_chunk_auto(16, 1), 4);
    assert_int_equal(cb_chunk_auto(16, 2), 2);
    assert_int_equal(cb_chunk_auto(16, 4), 1);
    assert_int_equal(cb_chunk_auto(17, 4), 2);
    assert_int_equal(cb_chunk_auto(100, 3), 9);
    assert_int_equal(cb_chunk_auto(1, 16), 1);
    assert_int_equal(cb_chunk_auto(4096, 1), 1024);
}

static const struct cb_mode *mode(const char *name)
{
    const struct cb_mode *m = cb_mode_find(name);
    assert_non_null(m);
    assert_true(cb_mode_chunked(m));
    return m;
}

/*
 * Run T io_sleep tasks of 2 ms with W workers in chunks of c, twice (the
 * second batch reuses the pool), and check every chunk's assignment. The
 * tasks block, so without chunking consecutive tasks would go to different
 * workers.
 */
static void check_chunks(const char *name, unsigned tasks, unsigned workers,
                         unsigned chunk)
{
    const struct cb_kernel *sleep = cb_kernel_find("io_sleep");
    struct cb_job job = {.kernel = sleep, .params = {.io_ms = 2},
                         .tasks = tasks, .workers = workers,
                         .timeout_ms = 30000};
    /* The chunk given, the mode's other options (transport) at default. */
    struct cb_option_value given[CB_MAX_MODE_OPTIONS];
    const struct cb_mode *m = mode(name);
    for (size_t i = 0; i < CB_MAX_MODE_OPTIONS && m->options[i]; i++)
        given[i] = m->options[i] == &cb_option_chunk
                       ? (struct cb_option_value){.value = chunk}
                       : cb_option_default(m->options[i]);
    struct cb_task_result *r = calloc(tasks, sizeof *r);
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    assert_non_null(r);
    if (run_batches_with(m, &job, given, 2, r, &st, &err) != 0)
        fail_msg("%s T=%u W=%u chunk=%u: %s", name, tasks, workers, chunk,
                 err.msg);
    for (unsigned first = 0; first < tasks; first += chunk) {
        unsigned end = first + chunk < tasks ? first + chunk : tasks;
        for (unsigned t = first + 1; t < end; t++) {
            if (r[t].worker != r[first].worker)
                fail_msg("%s chunk=%u: task %u ran in worker %d, task %u "
                         "of its chunk in worker %d", name, chunk, t,
                         r[t].worker, first, r[first].worker);
            if (r[t].start_ns < r[t - 1].end_ns)
                fail_msg("%s chunk=%u: task %u started before task %u of "
                         "its chunk ended", name, chunk, t, t - 1);
        }
    }
    free(r);
}

static void test_thread_pool_chunks(void **state)
{
    (void)state;
    check_chunks("thread_pool", 10, 3, 3);  /* 0-2 3-5 6-8 9 */
    check_chunks("thread_pool", 16, 2, cb_chunk_auto(16, 2));
    check_chunks("thread_pool", 5, 4, 8);   /* one chunk: one worker */
    check_chunks("thread_pool", 7, 3, 1);
}

static void test_process_pool_chunks(void **state)
{
    (void)state;
    check_chunks("process_pool", 10, 3, 3);
    check_chunks("process_pool", 16, 2, cb_chunk_auto(16, 2));
    check_chunks("process_pool", 5, 4, 8);
    check_chunks("process_pool", 7, 3, 1);
    /* A chunk's results span more than one pipe write (PIPE_BUF). */
    check_chunks("process_pool", 130, 2, 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_is_pool_maps_rule),
        cmocka_unit_test(test_thread_pool_chunks),
        cmocka_unit_test(test_process_pool_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
