/*
 * What the fresh-image modes count, for the tests: processes that ran a
 * task in this process's batches so far; the ones spawn started, and the
 * ones forkservers reported ended. A fresh image cannot reach a counter in
 * the test's memory, so the modes count for it.
 */
#ifndef CB_MODES_FRESH_H
#define CB_MODES_FRESH_H

#ifdef __cplusplus
extern "C" {
#endif

unsigned long cb_spawn_processes(void);
unsigned long cb_forkserver_processes(void);

#ifdef __cplusplus
}
#endif

#endif
