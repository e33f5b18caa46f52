/*
 * What the event-loop modes share (loop.h): the loop's meter, and tasks
 * run inline.
 */
#include "loop.h"

#include <sys/resource.h>
#include <time.h>

void cb_meter_read(struct cb_meter *m)
{
    struct rusage ru;
    struct timespec ts;
    getrusage(RUSAGE_THREAD, &ru);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    *m = (struct cb_meter){
        .cpu_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
        .minflt = ru.ru_minflt,
        .nvcsw = ru.ru_nvcsw,
        .nivcsw = ru.ru_nivcsw,
    };
}

void cb_meter_charge(struct cb_task_result *r, struct cb_meter *since)
{
    struct cb_meter now;
    cb_meter_read(&now);
    r->cpu_ns += now.cpu_ns - since->cpu_ns;
    r->minflt += now.minflt - since->minflt;
    r->nvcsw += now.nvcsw - since->nvcsw;
    r->nivcsw += now.nivcsw - since->nivcsw;
    *since = now;
}

int cb_loop_run_inline(const struct cb_job *job,
                       struct cb_task_result *results, int64_t deadline,
                       struct cb_error *err)
{
    for (unsigned i = 0; i < job->tasks; i++) {
        if (i > 0 && cb_now_ns() >= deadline) {
            int none = -1;
            cb_error_pool_timeout(err, &none, 1, i, job->tasks,
                                  job->timeout_ms);
            return -1;
        }
        cb_task_run(job, i, &(const struct cb_worker){.slot = 0}, NULL,
                    &results[i]);
    }
    return 0;
}
