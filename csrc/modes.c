/* The table of strategies: adding a mode is one file and one line here. */
#include "executor.h"

#include <string.h>

extern const struct cb_mode cb_mode_serial, cb_mode_thread, cb_mode_process,
    cb_mode_thread_pool, cb_mode_process_pool;

const struct cb_mode *const cb_modes[] = {
    &cb_mode_serial,      &cb_mode_thread,       &cb_mode_process,
    &cb_mode_thread_pool, &cb_mode_process_pool,
};
const size_t cb_mode_count = sizeof cb_modes / sizeof cb_modes[0];

const struct cb_mode *cb_mode_find(const char *name)
{
    for (size_t i = 0; i < cb_mode_count; i++)
        if (strcmp(cb_modes[i]->name, name) == 0)
            return cb_modes[i];
    return NULL;
}
