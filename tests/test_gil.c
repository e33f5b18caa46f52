/*
 * The gil mode serialises computation and nothing else: from the holds of
 * its lock, no two tasks ever hold it at once and a task computes only while
 * it holds it; io_sleep tasks overlap their sleeps; gmp_pow, one call, keeps
 * the lock for all of it while logpow yields it; a task cancelled on
 * timeout leaves the lock free. No timing is asserted, only structure.
 */
#include "testlib.h"

#include "modes/gil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_T = 16 };

/* One batch through gil, whose executor stays for the checks; 0 or -1. */
struct gil_batch {
    struct cb_executor *ex;
    struct cb_task_result results[MAX_T];
    struct cb_batch_stats st;
    struct cb_error err;
    const struct cb_gil_hold *holds;
    size_t n_holds;
    struct cb_gil_stats gs;
};

/* A job and gil's options: its switch interval (0: the default) and the
 * shared state's KiB. */
struct gil_job {
    struct cb_job job;
    unsigned switch_us;
    unsigned shared_kib;
};

static struct cb_executor *gil_start(const struct gil_job *gj,
                                     struct cb_error *err)
{
    struct cb_option_value given[] = {
        gj->switch_us ? (struct cb_option_value){.value = gj->switch_us}
                      : cb_option_default(&cb_option_switch_us),
        {.value = gj->shared_kib}};
    struct cb_executor *ex = NULL;
    if (cb_executor_start(&cb_mode_gil, &gj->job, given, &ex, err) < 0)
        fail_msg("start: %s", err->msg);
    return ex;
}

static int gil_batch_run(struct gil_batch *b, const struct gil_job *gj)
{
    assert_true(gj->job.tasks <= MAX_T);
    memset(b, 0, sizeof *b);
    b->ex = gil_start(gj, &b->err);
    int rc = cb_batch_run(b->ex, b->results, &b->st, &b->err);
    b->n_holds = cb_gil_holds(b->ex, &b->holds);
    cb_gil_stats(b->ex, &b->gs);
    return rc;
}

static void gil_batch_end(struct gil_batch *b)
{
    cb_executor_stop(b->ex);
}

static struct gil_job job_of(const struct cb_kernel *k, unsigned tasks,
                             unsigned workers, unsigned io_ms,
                             unsigned switch_us)
{
    return (struct gil_job){
        .job = {.kernel = k, .params = {.io_ms = io_ms}, .tasks = tasks,
                .workers = workers, .timeout_ms = 30000},
        .switch_us = switch_us};
}

/*
 * The structure every batch's holds must have: each is an interval of one
 * of the batch's tasks, inside that task's measured interval; none
 * overlaps the next (they are recorded in order); none was lost. Returns
 * how many holds each task had, in per_task[].
 */
static void check_holds(const struct gil_batch *b, const struct cb_job *job,
                        unsigned *per_task)
{
    assert_int_equal(b->gs.holds_lost, 0);
    memset(per_task, 0, job->tasks * sizeof *per_task);
    for (size_t i = 0; i < b->n_holds; i++) {
        const struct cb_gil_hold *h = &b->holds[i];
        assert_true(h->task < job->tasks);
        assert_true(h->start_ns <= h->end_ns);
        const struct cb_task_result *r = &b->results[h->task];
        if (h->start_ns < r->start_ns || h->end_ns > r->end_ns)
            fail_msg("hold %zu of task %u is outside the task", i, h->task);
        if (i + 1 < b->n_holds && h->end_ns > b->holds[i + 1].start_ns)
            fail_msg("holds %zu (task %u) and %zu (task %u) overlap", i,
                     h->task, i + 1, b->holds[i + 1].task);
        per_task[h->task]++;
    }
    for (unsigned t = 0; t < job->tasks; t++) {
        assert_true(per_task[t] >= 1);
        /* The wait for the lock is part of the task's wall time. */
        int64_t w = b->gs.wait_ns[t];
        assert_true(w >= 0 &&
                    w <= b->results[t].end_ns - b->results[t].start_ns);
    }
}

/*
 * A kernel that computes in steps between checkpoints and counts how many
 * tasks are inside a step at once: under the gil never more than one.
 */
static atomic_int computing;
static atomic_int most_computing;

static uint64_t steps_run(const struct concbench_task *t)
{
    uint64_t x = 1;
    for (int step = 0; step < 200; step++) {
        int now = atomic_fetch_add(&computing, 1) + 1;
        int most = atomic_load(&most_computing);
        while (now > most &&
               !atomic_compare_exchange_weak(&most_computing, &most, now))
            ;
        for (int i = 0; i < 20000; i++)
            x = x * 6364136223846793005u + 1442695040888963407u;
        atomic_fetch_sub(&computing, 1);
        concbench_checkpoint(t);
    }
    return x == 0; /* 0 unless the sequence hit 0, which it does not */
}

static int steps_check(uint64_t value, const struct concbench_task *t,
                       char *why, size_t len)
{
    (void)t;
    snprintf(why, len, "expected 0, got %llu", (unsigned long long)value);
    return value == 0;
}

static const struct cb_kernel steps = {
    .name = "steps",
    .summary = "computes in 200 steps",
    .run = steps_run,
    .check = steps_check,
};

static void test_never_two_computing(void **state)
{
    (void)state;
    atomic_store(&computing, 0);
    atomic_store(&most_computing, 0);
    struct gil_job gj = job_of(&steps, 6, 6, 1, 100);
    struct gil_batch b;
    if (gil_batch_run(&b, &gj) != 0)
        fail_msg("%s", b.err.msg);
    assert_int_equal(atomic_load(&most_computing), 1);
    unsigned per_task[MAX_T];
    check_holds(&b, &gj.job, per_task);
    gil_batch_end(&b);
}

/*
 * logpow yields at checkpoints: with a short interval and six tasks
 * wanting the lock, the waiters ask for it and get it, so there are more
 * holds than tasks; still no two overlap.
 */
static void test_logpow_yields(void **state)
{
    (void)state;
    struct gil_job gj = job_of(find_kernel("logpow"), 6, 6, 1, 100);
    struct gil_batch b;
    if (gil_batch_run(&b, &gj) != 0)
        fail_msg("%s", b.err.msg);
    unsigned per_task[MAX_T];
    check_holds(&b, &gj.job, per_task);
    assert_true(b.gs.drop_requests > 0);
    assert_true(b.gs.switches > 0);
    assert_true(b.n_holds > gj.job.tasks);
    gil_batch_end(&b);
}

/*
 * gmp_pow is one call without checkpoints: however short the interval and
 * whatever the waiters ask, each task holds the lock exactly once.
 */
static void test_gmp_pow_keeps_the_lock(void **state)
{
    (void)state;
    struct gil_job gj = job_of(find_kernel("gmp_pow"), 4, 4, 1, 50);
    struct gil_batch b;
    if (gil_batch_run(&b, &gj) != 0)
        fail_msg("%s", b.err.msg);
    unsigned per_task[MAX_T];
    check_holds(&b, &gj.job, per_task);
    for (unsigned t = 0; t < gj.job.tasks; t++)
        assert_int_equal(per_task[t], 1);
    assert_int_equal(b.n_holds, gj.job.tasks);
    gil_batch_end(&b);
}

/*
 * io_sleep drops the lock around its sleep: two holds per task, and
 * T = W = 8 sleeps of 50 ms overlap, so the batch ends well under 8 x 50 ms
 * with all 8 running at once.
 */
static void test_io_sleep_overlaps(void **state)
{
    (void)state;
    struct gil_job gj = job_of(find_kernel("io_sleep"), 8, 8, 50, 0);
    struct gil_batch b;
    if (gil_batch_run(&b, &gj) != 0)
        fail_msg("%s", b.err.msg);
    unsigned per_task[MAX_T];
    check_holds(&b, &gj.job, per_task);
    for (unsigned t = 0; t < gj.job.tasks; t++)
        assert_int_equal(per_task[t], 2);
    if (!getenv("CB_SERIALISED")) {
        assert_int_equal(b.st.peak_running, 8);
        if (!(b.st.wall_s < 8 * 0.050 / 2))
            fail_msg("8 x 50 ms took %.1f ms", b.st.wall_s * 1e3);
    }
    gil_batch_end(&b);
}

/* noop takes the lock once; with W = 1 nobody ever waits or asks. */
static void test_noop_one_hold(void **state)
{
    (void)state;
    struct gil_job gj = job_of(find_kernel("noop"), 5, 1, 1, 0);
    struct gil_batch b;
    if (gil_batch_run(&b, &gj) != 0)
        fail_msg("%s", b.err.msg);
    unsigned per_task[MAX_T];
    check_holds(&b, &gj.job, per_task);
    assert_int_equal(b.n_holds, 5);
    assert_int_equal(b.gs.drop_requests, 0);
    for (unsigned t = 0; t < gj.job.tasks; t++) {
        assert_int_equal(b.holds[t].task, t);
        assert_int_equal(b.results[t].worker, 0);
    }
    gil_batch_end(&b);
}

/* A kernel that computes forever, yielding at checkpoints. */
static uint64_t spin_run(const struct concbench_task *t)
{
    unsigned task = t->index;
    volatile uint64_t x = task;
    for (;;) {
        for (int i = 0; i < 1000; i++)
            x = x + 1;
        if (task == 1)
            concbench_checkpoint(t);
        if (task != 1)
            return 0;
    }
}

static const struct cb_kernel spin = {
    .name = "spin",
    .summary = "task 1 computes forever",
    .run = spin_run,
    .check = steps_check,
};

/*
 * A task that never ends fails the batch on timeout and is cancelled with
 * the lock held (fault_hang: in a sleep that does not release it; spin: at
 * a checkpoint); the cleanup releases it, so every thread stops, none is
 * left, and the hung task's hold is recorded as ended.
 *
 * Under TSan, fault_hang gets a false data race report on the lock's state
 * in the cleanup handler: a handler run from a cancelled nanosleep runs
 * inside TSan's sleep interceptor, which hides the handler's mutex lock from
 * TSan (google/sanitizers issue 646).
 */
static void test_timeout_releases_the_lock(void **state)
{
    (void)state;
    const struct cb_kernel *const hung[] = {find_kernel("fault_hang"), &spin};
    /* Not 1: a sanitizer may run a thread of its own. */
    unsigned threads_before = dir_entries("/proc/self/task");
    for (size_t k = 0; k < 2; k++) {
        struct gil_job gj = job_of(hung[k], 4, 4, 1, 100);
        gj.job.timeout_ms = 300;
        struct gil_batch b;
        int rc = gil_batch_run(&b, &gj);
        if (rc != -1 || !strstr(b.err.msg, "still running after 300 ms: "
                                           "timed out") ||
            strstr(b.err.msg, "left running"))
            fail_msg("%s: rc %d, error '%s'", hung[k]->name, rc, b.err.msg);
        assert_int_equal(threads_settled(threads_before), threads_before);
        assert_int_equal(b.gs.holds_lost, 0);
        bool task1_released = false;
        for (size_t i = 0; i < b.n_holds; i++) {
            assert_true(b.holds[i].start_ns <= b.holds[i].end_ns);
            if (i + 1 < b.n_holds)
                assert_true(b.holds[i].end_ns <= b.holds[i + 1].start_ns);
            task1_released |= b.holds[i].task == 1;
        }
        assert_true(task1_released);
        gil_batch_end(&b);
    }
}

/*
 * The holds' own records agree with the totals: every hold counted, its
 * hand-offs those of the holds marked so, none to another CPU more often
 * than there were hand-offs, the lines written those of every hold.
 */
static void check_handoffs(const struct gil_batch *b, size_t lines)
{
    assert_int_equal(b->gs.holds, b->n_holds);
    uint64_t handoffs = 0;
    int64_t state_ns = 0, handoff_state_ns = 0;
    for (size_t i = 0; i < b->n_holds; i++) {
        const struct cb_gil_hold *h = &b->holds[i];
        assert_true(h->state_ns >= 0);
        assert_true(h->state_ns <= h->end_ns - h->start_ns);
        if (lines == 0)
            assert_int_equal(h->state_ns, 0);
        handoffs += h->handoff;
        state_ns += h->state_ns;
        if (h->handoff) {
            handoff_state_ns += h->state_ns;
            /* The lock was held by another task just before. */
            assert_true(i > 0 && b->holds[i - 1].task != h->task);
        }
    }
    assert_int_equal(b->gs.handoffs, handoffs);
    assert_true(b->gs.cross_cpu <= b->gs.handoffs);
    assert_true(b->gs.handoff_ns >= 0);
    assert_int_equal(b->gs.lines_written, b->n_holds * lines);
    assert_int_equal(b->gs.state_ns, state_ns);
    assert_int_equal(b->gs.handoff_state_ns, handoff_state_ns);
    /* Every hold wrote every object of the state exactly once. */
    assert_int_equal(b->gs.state_refs_min, lines ? b->n_holds : 0);
    assert_int_equal(b->gs.state_refs_max, lines ? b->n_holds : 0);
}

/*
 * --shared-kib: each new holder writes the whole shared state, one object
 * a cache line, each once, inside its hold; the hand-offs are counted from
 * the holds, and the mode's counters report them.
 */
static void test_holders_write_the_shared_state(void **state)
{
    (void)state;
    struct gil_job gj = job_of(find_kernel("logpow"), 6, 3, 1, 100);
    gj.shared_kib = 8;
    struct gil_batch b;
    if (gil_batch_run(&b, &gj) != 0)
        fail_msg("%s", b.err.msg);
    unsigned per_task[MAX_T];
    check_holds(&b, &gj.job, per_task);
    check_handoffs(&b, 8 * 1024 / CB_GIL_LINE);
    /* Six tasks on three threads yield at 100 us: some hand-offs. */
    assert_true(b.gs.handoffs > 0);
    assert_true(b.gs.handoffs < b.n_holds);

    struct cb_mode_counter c[CB_MAX_MODE_COUNTERS];
    size_t n = cb_mode_gil.counters(b.ex, c);
    assert_int_equal(n, 4);
    assert_string_equal(c[0].name, "gil_handoffs_per_task");
    assert_true(c[0].num == (double)b.gs.handoffs && c[0].den == 6);
    assert_string_equal(c[1].name, "gil_handoff_s");
    assert_true(c[1].den == (double)b.gs.handoffs);
    assert_true(c[1].num == (double)b.gs.handoff_ns / 1e9);
    assert_string_equal(c[2].name, "gil_cross_cpu");
    assert_true(c[2].num == (double)b.gs.cross_cpu);
    assert_string_equal(c[3].name, "gil_state_s");
    assert_true(c[3].num == (double)b.gs.handoff_state_ns / 1e9);
    assert_true(c[3].den == (double)b.gs.handoffs);
    gil_batch_end(&b);
}

/*
 * At its default, 0, there is no shared state: nothing written, no time
 * spent on it, gil_state_s left out (its den 0); the lock works as before.
 */
static void test_no_shared_state_by_default(void **state)
{
    (void)state;
    assert_int_equal(cb_option_shared_kib.def, 0);
    struct gil_job gj = job_of(find_kernel("logpow"), 4, 2, 1, 100);
    struct gil_batch b;
    if (gil_batch_run(&b, &gj) != 0)
        fail_msg("%s", b.err.msg);
    unsigned per_task[MAX_T];
    check_holds(&b, &gj.job, per_task);
    check_handoffs(&b, 0);
    struct cb_mode_counter c[CB_MAX_MODE_COUNTERS];
    assert_int_equal(cb_mode_gil.counters(b.ex, c), 4);
    assert_true(c[3].den == 0);
    gil_batch_end(&b);
}

/* One executor runs several batches; each batch's records start afresh. */
static void test_batches_reuse_the_executor(void **state)
{
    (void)state;
    struct gil_job gj = job_of(find_kernel("io_sleep"), 3, 2, 5, 0);
    struct cb_executor *ex = NULL;
    struct cb_error err = {{0}};
    ex = gil_start(&gj, &err);
    for (int i = 0; i < 3; i++) {
        struct cb_task_result results[3];
        struct cb_batch_stats st;
        if (cb_batch_run(ex, results, &st, &err) != 0)
            fail_msg("%s", err.msg);
        const struct cb_gil_hold *holds;
        assert_int_equal(cb_gil_holds(ex, &holds), 6);
    }
    cb_executor_stop(ex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_two_computing),
        cmocka_unit_test(test_logpow_yields),
        cmocka_unit_test(test_gmp_pow_keeps_the_lock),
        cmocka_unit_test(test_io_sleep_overlaps),
        cmocka_unit_test(test_noop_one_hold),
        cmocka_unit_test(test_timeout_releases_the_lock),
        cmocka_unit_test(test_batches_reuse_the_executor),
        cmocka_unit_test(test_holders_write_the_shared_state),
        cmocka_unit_test(test_no_shared_state_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
