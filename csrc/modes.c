/*
 * The table of strategies, and the dispatch of the roles they declare.
 * Adding a mode is one file in modes/, one line here, one in meson.build.
 */
#include "executor.h"
#include "role.h"

#include "cb_config.h"

#include <string.h>

extern const struct cb_mode cb_mode_serial, cb_mode_thread, cb_mode_process,
    cb_mode_thread_pool, cb_mode_process_pool, cb_mode_spawn,
    cb_mode_forkserver, cb_mode_gil, cb_mode_async, cb_mode_io_uring,
    cb_mode_openmp, cb_mode_mpi_pool;

const struct cb_mode *const cb_modes[] = {
    &cb_mode_serial,       &cb_mode_thread,       &cb_mode_process,
    &cb_mode_thread_pool,  &cb_mode_process_pool, &cb_mode_spawn,
    &cb_mode_forkserver,   &cb_mode_gil,          &cb_mode_async,
#if CB_HAVE_IO_URING
    &cb_mode_io_uring,
#endif
#if CB_HAVE_OPENMP
    &cb_mode_openmp,
#endif
#if CB_HAVE_MPI
    &cb_mode_mpi_pool,
#endif
};
const size_t cb_mode_count = sizeof cb_modes / sizeof cb_modes[0];

const struct cb_mode *cb_mode_find(const char *name)
{
    for (size_t i = 0; i < cb_mode_count; i++)
        if (strcmp(cb_modes[i]->name, name) == 0)
            return cb_modes[i];
    return NULL;
}

int cb_role_main(int argc, char **argv)
{
    if (argc < 2 || strncmp(argv[1], "--cb-", 5) != 0)
        return -1;
    for (size_t i = 0; i < cb_mode_count; i++)
        if (cb_modes[i]->role && strcmp(argv[1], cb_modes[i]->role->flag) == 0)
            cb_role_run(cb_modes[i], argc, argv);
    return -1;
}
