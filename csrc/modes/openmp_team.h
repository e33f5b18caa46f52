/*
 * The part of the openmp mode that libgomp runs, built as a module of its
 * own (cb_openmp_team.so, with -fopenmp) that openmp.c loads with dlopen
 * when an openmp executor starts. libgomp reads its wait policy
 * (OMP_WAIT_POLICY, GOMP_SPINCOUNT) once, as it loads; so nothing else of
 * concbench links it, and it loads in the process that measures, after
 * the mode has set them to the policy's values. The module knows nothing
 * of concbench: its loop calls back for each task.
 */
#ifndef CB_OPENMP_TEAM_H
#define CB_OPENMP_TEAM_H

/* Changed with any change of the structs below. */
#define CB_OPENMP_TEAM_ABI 1

struct cb_omp_loop {
    int tasks;   /* the loop's iterations, 0 to tasks - 1 */
    int threads; /* num_threads */
    /* Runs task in thread (omp_get_thread_num()); 1 if it skipped it. */
    int (*body)(void *arg, int task, int thread);
    void *arg;
};

struct cb_omp_team {
    unsigned abi; /* CB_OPENMP_TEAM_ABI */
    /* An empty parallel region of threads: the team is made. */
    void (*form)(int threads);
    /*
     * #pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
     * over the tasks; the tasks body skipped.
     */
    int (*run)(const struct cb_omp_loop *loop);
};

/* What the module exports, by this name. */
extern const struct cb_omp_team cb_omp_team;

#endif
