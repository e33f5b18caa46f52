// The C shim's implementation: each function forwards to Google Benchmark's
// C++ API. The opaque C handles are the C++ objects themselves.
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <type_traits>

namespace {

// What RegisterBenchmark returns: benchmark::internal::Benchmark up to
// 1.9.4, benchmark::Benchmark in 1.9.5, where the old name is deprecated.
// Named through the function, so that the shim builds without a warning on
// either.
using Benchmark = std::remove_pointer_t<decltype(benchmark::RegisterBenchmark(
    "", static_cast<void (*)(benchmark::State &)>(nullptr)))>;

benchmark::State &S(cb_gbench_state *state)
{
    return *reinterpret_cast<benchmark::State *>(state);
}

Benchmark *B(cb_gbench *bench)
{
    return reinterpret_cast<Benchmark *>(bench);
}

benchmark::Counter::Flags counter_flags(unsigned flags)
{
    // Mapped one by one: the C values are ours, not Google Benchmark's.
    int f = benchmark::Counter::kDefaults;
    if (flags & CB_GBENCH_COUNTER_RATE)
        f |= benchmark::Counter::kIsRate;
    if (flags & CB_GBENCH_COUNTER_AVG_THREADS)
        f |= benchmark::Counter::kAvgThreads;
    if (flags & CB_GBENCH_COUNTER_ITERATION_INVARIANT)
        f |= benchmark::Counter::kIsIterationInvariant;
    if (flags & CB_GBENCH_COUNTER_AVG_ITERATIONS)
        f |= benchmark::Counter::kAvgIterations;
    if (flags & CB_GBENCH_COUNTER_INVERT)
        f |= benchmark::Counter::kInvert;
    return static_cast<benchmark::Counter::Flags>(f);
}

} // namespace

extern "C" {

bool cb_gbench_keep_running(cb_gbench_state *state)
{
    return S(state).KeepRunning();
}

void cb_gbench_set_iteration_time(cb_gbench_state *state, double seconds)
{
    S(state).SetIterationTime(seconds);
}

int64_t cb_gbench_iterations(const cb_gbench_state *state)
{
    return reinterpret_cast<const benchmark::State *>(state)->iterations();
}

void cb_gbench_set_counter(cb_gbench_state *state, const char *name,
                           double value, unsigned flags)
{
    S(state).counters[name] = benchmark::Counter(value, counter_flags(flags));
}

void cb_gbench_set_label(cb_gbench_state *state, const char *label)
{
    S(state).SetLabel(label);
}

void cb_gbench_skip_with_error(cb_gbench_state *state, const char *msg)
{
    S(state).SkipWithError(msg);
}

cb_gbench *cb_gbench_register(const char *name, cb_gbench_fn fn, void *arg)
{
    auto *b = benchmark::RegisterBenchmark(
        name, [fn, arg](benchmark::State &st) {
            fn(reinterpret_cast<cb_gbench_state *>(&st), arg);
        });
    return reinterpret_cast<cb_gbench *>(b);
}

void cb_gbench_use_manual_time(cb_gbench *bench)
{
    B(bench)->UseManualTime();
}

void cb_gbench_set_unit(cb_gbench *bench, enum cb_gbench_unit unit)
{
    static const benchmark::TimeUnit units[] = {
        benchmark::kNanosecond, benchmark::kMicrosecond,
        benchmark::kMillisecond, benchmark::kSecond};
    B(bench)->Unit(units[unit]);
}

void cb_gbench_set_iterations(cb_gbench *bench, int64_t iterations)
{
    B(bench)->Iterations(iterations);
}

void cb_gbench_initialize(int *argc, char **argv)
{
    benchmark::Initialize(argc, argv);
}

bool cb_gbench_report_unrecognized(int argc, char **argv)
{
    return benchmark::ReportUnrecognizedArguments(argc, argv);
}

void cb_gbench_add_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

size_t cb_gbench_run_specified(void)
{
    return benchmark::RunSpecifiedBenchmarks();
}

void cb_gbench_shutdown(void)
{
    benchmark::Shutdown();
}

} // extern "C"
