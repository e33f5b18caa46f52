// What the driver says about the suite and a run (describe.h).
#include "describe.h"

#include "baseline.h"
#include "cb_config.h"
#include "gbench.h"
#include "steady.h"
#include "sysinfo.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace cb {
namespace {

// A mode's properties, as the context's "modes" entry and --list show them:
// "pool,chunked", "" for none.
std::string mode_properties(const cb_mode *m)
{
    std::string props;
    auto add = [&](bool has, const char *name) {
        if (has)
            props += std::string(props.empty() ? "" : ",") + name;
    };
    add(m->single_worker, "single_worker");
    add(m->pool, "pool");
    add(cb_mode_chunked(m), "chunked");
    add(m->role != nullptr, "fresh_image");
    return props;
}

// The modes in the suite's order, "serial:single_worker thread ...".
std::string modes_context()
{
    std::string out;
    for (size_t i = 0; i < cb_mode_count; i++) {
        std::string props = mode_properties(cb_modes[i]);
        out += std::string(i ? " " : "") + cb_modes[i]->name +
               (props.empty() ? "" : ":" + props);
    }
    return out;
}

} // namespace

void print_list()
{
    std::printf("kernels:\n");
    for (size_t i = 0; i < cb_kernel_count; i++)
        std::printf("  %-13s %s%s\n", cb_kernels[i]->name,
                    cb_kernels[i]->summary,
                    cb_kernels[i]->opt_in ? "; only with --kernels" : "");
    const char *lib = nullptr;
    for (size_t i = 0; const cb_kernel *k = cb_kernel_loaded(i); i++) {
        if (!lib || std::strcmp(lib, k->library) != 0) {
            lib = k->library;
            std::printf("kernels from %s:\n", lib);
        }
        std::printf("  %-13s %s\n", k->name, k->summary);
    }
    if (cb_kernel_added(0)) {
        std::printf("kernels of this program only (not run by default):\n");
        for (size_t i = 0; const cb_kernel *k = cb_kernel_added(i); i++)
            std::printf("  %-13s %s\n", k->name, k->summary);
    }
    std::printf("modes (properties in brackets, options in braces):\n");
    for (size_t i = 0; i < cb_mode_count; i++) {
        const cb_mode *m = cb_modes[i];
        std::string props = mode_properties(m), options;
        for (size_t j = 0; m->options && m->options[j]; j++) {
            char flag[64];
            cb_option_flag(m->options[j], flag, sizeof flag);
            options += std::string(options.empty() ? "{" : ", ") + flag;
        }
        std::printf("  %-13s %s%s%s%s\n", m->name,
                    props.empty() ? "" : ("[" + props + "] ").c_str(),
                    options.empty() ? "" : (options + "} ").c_str(),
                    m->summary, m->opt_in ? "; only with --modes" : "");
    }
    std::printf("baselines:\n");
    for (size_t i = 0; i < cb_baseline_count; i++)
        std::printf("  %-20s %s\n", cb_baselines[i].name,
                    cb_baselines[i].summary);
}

void add_context(const Options &o)
{
    auto add = [](const char *key, const std::string &value) {
        cb_gbench_add_context(key, value.c_str());
    };
    add("concbench_version", CB_VERSION);
    cb_sysinfo_item items[16];
    size_t n = cb_sysinfo(items, 16);
    for (size_t i = 0; i < n; i++)
        add(items[i].key, items[i].value);
    add("benchmark_version", CB_BENCHMARK_VERSION);
    add("build_type", CB_BUILD_TYPE);
    add("tasks", std::to_string(o.tasks));
    add("io_ms", std::to_string(o.io_ms));
    add("timeout_s", std::to_string(o.timeout_s));
    char margin[32];
    std::snprintf(margin, sizeof margin, "%g", o.margin);
    add("margin", margin);
    add("batches", std::to_string(o.batches));
    add("payload", o.payload_text);
    add("parent_rss", o.parent_rss_text);
    for (const ModeOption &mo : o.mode_options)
        add(mo.option->name, mo.text);
    add("modes", modes_context());
    std::string libs;
    for (size_t i = 0; const cb_kernel *k = cb_kernel_loaded(i); i++)
        if (libs.find(k->library) == std::string::npos)
            libs += (libs.empty() ? "" : ":") + std::string(k->library);
    if (!libs.empty())
        add("kernel_libs", libs);
    double quota = cb_cpu_quota();
    char q[32];
    if (quota > 0)
        std::snprintf(q, sizeof q, "%g", quota);
    add("cpu_quota", quota > 0 ? q : quota == 0 ? "none" : "unknown");
}

std::string add_worker_hosts(const std::string &json)
{
    const std::string label = "\"label\": \"", key = " worker_hosts=",
                      context = "\"context\": {\n";
    std::vector<std::string> seen;
    for (size_t at = json.find(label); at != std::string::npos;
         at = json.find(label, at + 1)) {
        size_t start = at + label.size(), end = json.find('"', start);
        size_t k = json.find(key, start);
        if (k == std::string::npos || k > end)
            continue;
        k += key.size();
        std::string hosts = json.substr(k, json.find_first_of(" \"", k) - k);
        if (std::find(seen.begin(), seen.end(), hosts) == seen.end())
            seen.push_back(hosts);
    }
    size_t at = json.find(context);
    if (seen.empty() || at == std::string::npos)
        return json;
    std::string all;
    for (const std::string &hosts : seen)
        all += (all.empty() ? "" : " ") + hosts;
    at += context.size();
    return json.substr(0, at) + "    \"mpi_worker_hosts\": \"" + all +
           "\",\n" + json.substr(at);
}

} // namespace cb
