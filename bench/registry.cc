// The benchmarks of a run (registry.h).
#include "registry.h"

#include "gbench.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>

namespace cb {
namespace {

// Register one benchmark, known to the suite by name, label and its buffer
// for its first error (bench/suite.h).
void register_benchmark(Cases &cases, const char *name, const char *label,
                        char *failed, size_t failed_len, const char *group,
                        cb_gbench_fn fn, void *arg, unsigned workers = 1,
                        const std::string &compare = "")
{
    cb_gbench *b = cb_gbench_register(name, fn, arg);
    if (!b) {
        std::fprintf(stderr, "concbench: cannot register %s\n", name);
        std::exit(1);
    }
    cb_gbench_use_manual_time(b);
    cb_gbench_set_unit(b, CB_GBENCH_MS);
    Selected s;
    s.name = std::string(name) + kManualTimeSuffix;
    s.group = group;
    s.compare = compare;
    s.family_index = (int64_t)cases.names.size();
    s.workers = workers;
    s.label = label;
    s.set_batches = [b](int64_t n) { cb_gbench_set_iterations(b, n); };
    s.failed = [name, failed, failed_len](const std::string &msg) {
        cb_suite_note_failure(name, failed, failed_len, msg.c_str());
    };
    cases.names.push_back(std::move(s));
}

} // namespace

Cases register_cases(const Options &o)
{
    Cases cases;
    std::map<std::string, std::string> serial_of; // workload -> serial name
    for (const cb_kernel *k : o.kernels) {
        for (const cb_mode *m : o.modes) {
            std::vector<unsigned> ws = o.workers;
            if (m->single_worker)
                ws = {1};
            for (unsigned w : ws)
            for (uint64_t payload : o.payloads)
            for (uint64_t parent_rss : o.parent_rss)
            for (const auto &tuning : option_combinations(o, m)) {
                auto c = std::make_unique<cb_suite_case>();
                c->mode = m;
                c->job.kernel = k;
                c->job.params.io_ms = o.io_ms;
                c->job.params.payload = payload;
                c->job.tasks = o.tasks;
                c->job.workers = w;
                c->job.timeout_ms = o.timeout_s * 1000;
                c->parent_rss = parent_rss;
                std::copy(tuning.begin(), tuning.end(), c->opt);
                cb_suite_case_name(c.get());
                // What scripts/compare compares it with: the strategies of
                // its workload (kernel, payload, parent size), tasks and
                // workers; and its serial.
                std::string workload = std::string(k->name) + "/payload:" +
                                       std::to_string(payload) +
                                       "/parent_rss:" +
                                       std::to_string(parent_rss);
                register_benchmark(cases, c->name, c->label, c->failed,
                                   sizeof c->failed, k->name, cb_suite_bench,
                                   c.get(), w,
                                   workload + "/workers:" +
                                       std::to_string(w));
                if (m->single_worker)
                    serial_of[workload] = cases.names.back().name;
                cases.modes.push_back(std::move(c));
            }
        }
    }
    for (size_t i = 0; i < cases.modes.size(); i++) {
        std::string compare = cases.names[i].compare;
        auto found = serial_of.find(compare.substr(0, compare.rfind('/')));
        if (found != serial_of.end() && found->second != cases.names[i].name)
            cases.names[i].serial = found->second;
    }
    for (uint64_t parent_rss : o.parent_rss)
    for (size_t i = 0; o.baselines && i < cb_baseline_count; i++) {
        auto c = std::make_unique<cb_suite_baseline>();
        c->baseline = &cb_baselines[i];
        c->tasks = o.tasks;
        c->params.io_ms = o.io_ms;
        c->parent_rss = parent_rss;
        cb_suite_baseline_name(c.get());
        register_benchmark(cases, c->name, c->label, c->failed,
                           sizeof c->failed, "baseline",
                           cb_suite_baseline_bench, c.get());
        cases.baselines.push_back(std::move(c));
    }
    return cases;
}

std::vector<Selected> select(const std::vector<Selected> &all,
                             std::string spec)
{
    if (spec.empty() || spec == "all")
        spec = ".";
    bool negative = spec[0] == '-';
    if (negative)
        spec.erase(0, 1);
    std::regex re(spec, std::regex_constants::extended); // checked already
    std::vector<Selected> out;
    for (const Selected &s : all)
        if (std::regex_search(s.name, re) != negative)
            out.push_back(s);
    return out;
}

} // namespace cb
