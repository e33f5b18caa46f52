/*
 * --payload: every mode, with each transport it has, gets each task its
 * input and brings back its output, checked byte for byte, batch after
 * batch; it counts the bytes it moved (none where threads share memory or
 * a fork inherits it); and an output that is wrong, another task's, last
 * batch's or cut short fails the batch, as does a worker that dies before
 * its output is back, with no process left behind.
 */
#include "payload.h"
#include "role.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T = 5, W = 2 };

static bool has_transport(const struct cb_mode *m)
{
    for (const struct cb_option *const *o = m->options; o && *o; o++)
        if (*o == &cb_option_transport)
            return true;
    return false;
}

/* The mode's options with its transport set to transport, others default. */
static void options_with(const struct cb_mode *m, unsigned transport,
                         struct cb_option_value *given)
{
    size_t i = 0;
    for (const struct cb_option *const *o = m->options; o && *o; o++, i++)
        given[i] = *o == &cb_option_transport
                       ? (struct cb_option_value){.value = transport}
                       : cb_option_default(*o);
}

/*
 * Bytes a task's input and output cost to move: none with threads or
 * through shared memory; a forked process inherits its input and sends its
 * output back; a pool's worker, a fresh image and the forkserver's child
 * get both through pipes.
 */
static void expected_bytes(const struct cb_mode *m, unsigned transport,
                           uint64_t bytes, uint64_t *in, uint64_t *out)
{
    *in = *out = 0;
    if (!has_transport(m) || transport == CB_TRANSPORT_SHM)
        return;
    *out = bytes;
    *in = strcmp(m->name, "process") == 0 ? 0 : bytes;
}

/*
 * Sizes: one byte, an odd size that is no multiple of a word, and one
 * larger than a pipe's buffer, so that writes and reads come in pieces.
 */
static const uint64_t sizes[] = {1, 4096 + 3, 300 * 1024};

/* mpi_pool takes no payload yet: it says so, and is left out here. */
static bool refuses_payload(const struct cb_mode *mode)
{
    if (strcmp(mode->name, "mpi_pool") != 0)
        return false;
    struct cb_job job = {.kernel = find_kernel("noop"),
                         .params = {.payload = 8}, .tasks = 1, .workers = 1,
                         .timeout_ms = 30000};
    struct cb_task_result r;
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    assert_int_equal(run_batches(mode, &job, 1, &r, &st, &err), -1);
    assert_string_equal(err.msg, "mpi_pool: --payload is not supported");
    return true;
}

static void test_every_mode_every_transport(void **state)
{
    (void)state;
    for (size_t m = 0; m < cb_mode_count; m++) {
        const struct cb_mode *mode = cb_modes[m];
        if (refuses_payload(mode))
            continue;
        unsigned transports = has_transport(mode) ? 2 : 1;
        bool left_out = false;
        for (unsigned tr = 0; tr < transports && !left_out; tr++) {
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0] && !left_out;
                 s++) {
                struct cb_job job = {
                    .kernel = find_kernel("noop"),
                    .params = {.io_ms = 1, .payload = sizes[s]},
                    .tasks = T,
                    .workers = mode->single_worker ? 1 : W,
                    .timeout_ms = 30000};
                struct cb_option_value given[CB_MAX_MODE_OPTIONS];
                options_with(mode, tr, given);
                struct cb_task_result r[T];
                struct cb_batch_stats st;
                struct cb_error err = {{0}};
                /* Three batches: a stale output would pass for a new one. */
                int rc = run_batches_with(mode, &job, given, 3, r, &st, &err);
                if (rc != 0 && (left_out = unavailable_here(mode, &err)))
                    continue;
                if (rc != 0)
                    fail_msg("%s transport %u payload %llu: %s", mode->name,
                             tr, (unsigned long long)sizes[s], err.msg);
                uint64_t in, out;
                expected_bytes(mode, tr, sizes[s], &in, &out);
                if (st.bytes_in != (double)(in * T) ||
                    st.bytes_out != (double)(out * T))
                    fail_msg("%s transport %u payload %llu: moved %.0f in, "
                             "%.0f out; expected %llu, %llu", mode->name, tr,
                             (unsigned long long)sizes[s], st.bytes_in,
                             st.bytes_out, (unsigned long long)(in * T),
                             (unsigned long long)(out * T));
                /* Time spent moving is counted where bytes move, only. */
                if ((in + out > 0) != (st.move_s > 0))
                    fail_msg("%s transport %u: move_s %g for %llu bytes",
                             mode->name, tr, st.move_s,
                             (unsigned long long)(in + out));
                assert_no_children();
            }
        }
    }
}

/* The check itself: each way an output can be wrong is caught. */
static void test_check_catches_wrong_outputs(void **state)
{
    (void)state;
    struct cb_payload p;
    struct cb_error err = {{0}};
    const uint64_t B = 4096;
    assert_int_equal(cb_payload_make(&p, 3, B, &err), 0);
    char why[160];
    for (unsigned t = 0; t < 3; t++) {
        /* The inputs differ from task to task. */
        if (t > 0)
            assert_memory_not_equal(cb_payload_input(&p, t),
                                    cb_payload_input(&p, t - 1), B);
        cb_payload_answer(cb_payload_input(&p, t), cb_payload_output(&p, t),
                          B, t);
        assert_true(cb_payload_check(&p, t, why, sizeof why));
    }

    /* One byte wrong: named. */
    cb_payload_output(&p, 1)[1000] ^= 1;
    assert_false(cb_payload_check(&p, 1, why, sizeof why));
    assert_string_equal(why, "output byte 1000 of 4096 is wrong");
    cb_payload_output(&p, 1)[1000] ^= 1;
    assert_true(cb_payload_check(&p, 1, why, sizeof why));

    /* Another task's output, even for the same input, is not this one's. */
    cb_payload_answer(cb_payload_input(&p, 2), cb_payload_output(&p, 2), B, 1);
    assert_false(cb_payload_check(&p, 2, why, sizeof why));

    /* Last batch's outputs fail once cleared. */
    cb_payload_clear(&p);
    for (unsigned t = 0; t < 3; t++)
        assert_false(cb_payload_check(&p, t, why, sizeof why));

    /* An output cut short: only its first half came. */
    unsigned char *full = malloc(B);
    assert_non_null(full);
    cb_payload_answer(cb_payload_input(&p, 0), full, B, 0);
    memcpy(cb_payload_output(&p, 0), full, B / 2);
    assert_false(cb_payload_check(&p, 0, why, sizeof why));
    free(full);
    cb_payload_free(&p);
}

/*
 * A mode that runs like thread and then spoils what came back, as a broken
 * transport would: the batch must fail on the output.
 */
static int spoil;

static int spoiling_run(struct cb_executor *ex, struct cb_task_result *r,
                        struct cb_error *err)
{
    if (cb_mode_find("thread")->run(ex, r, err) < 0)
        return -1;
    const struct cb_payload *p = ex->job.data;
    unsigned char *o0 = cb_payload_output(p, 0), *o1 = cb_payload_output(p, 1);
    unsigned char tmp[64];
    switch (spoil) {
    case 0: /* tasks 0 and 1's outputs swapped */
        for (uint64_t at = 0; at < p->bytes; at += sizeof tmp) {
            size_t n = p->bytes - at < sizeof tmp ? p->bytes - at : sizeof tmp;
            memcpy(tmp, o0 + at, n);
            memcpy(o0 + at, o1 + at, n);
            memcpy(o1 + at, tmp, n);
        }
        break;
    case 1: /* task 1's last byte never came */
        o1[p->bytes - 1] ^= 0xff;
        break;
    }
    return 0;
}

static void test_batch_fails_on_a_wrong_output(void **state)
{
    (void)state;
    struct cb_mode spoiler = *cb_mode_find("thread");
    spoiler.run = spoiling_run;
    static const char *const want[] = {"task 0: output byte 0 of 1000 is "
                                       "wrong",
                                       "task 1: output byte 999 of 1000 is "
                                       "wrong"};
    for (spoil = 0; spoil < 2; spoil++) {
        struct cb_job job = {.kernel = find_kernel("noop"),
                             .params = {.payload = 1000},
                             .tasks = 3,
                             .workers = 2,
                             .timeout_ms = 30000};
        struct cb_task_result r[3];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        assert_int_equal(run_batches(&spoiler, &job, 1, r, &st, &err), -1);
        assert_string_equal(err.msg, want[spoil]);
    }
}

/*
 * A worker that dies before it sends task 1's output back fails the batch
 * on task 1, through pipes as through shared memory, and nothing is left.
 */
static void test_worker_dies_before_its_output(void **state)
{
    (void)state;
    for (size_t m = 0; m < cb_mode_count; m++) {
        const struct cb_mode *mode = cb_modes[m];
        if (!has_transport(mode))
            continue;
        for (unsigned tr = 0; tr < 2; tr++) {
            struct cb_job job = {.kernel = find_kernel("fault_exit"),
                                 .params = {.payload = 256 * 1024},
                                 .tasks = 3,
                                 .workers = 2,
                                 .timeout_ms = 30000};
            struct cb_option_value given[CB_MAX_MODE_OPTIONS];
            options_with(mode, tr, given);
            struct cb_task_result r[3];
            struct cb_batch_stats st;
            struct cb_error err = {{0}};
            assert_int_equal(
                run_batches_with(mode, &job, given, 1, r, &st, &err), -1);
            if (!strstr(err.msg, "task 1") ||
                !strstr(err.msg, "exited with status 3"))
                fail_msg("%s transport %u: %s", mode->name, tr, err.msg);
            assert_no_children();
        }
    }
}

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_mode_every_transport),
        cmocka_unit_test(test_check_catches_wrong_outputs),
        cmocka_unit_test(test_batch_fails_on_a_wrong_output),
        cmocka_unit_test(test_worker_dies_before_its_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
