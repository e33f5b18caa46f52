/* The active wait policy's budget (spin.h). */
#include "spin.h"

#include "sysinfo.h"

unsigned long long cb_spin_budget(const struct cb_executor *ex,
                                  unsigned spinners)
{
    if (cb_executor_option(ex, &cb_option_wait) != CB_WAIT_ACTIVE)
        return 0;
    return spinners > cb_cpus_allowed() ? CB_SPIN_COUNT_THROTTLED
                                        : CB_SPIN_COUNT;
}
