// Google Benchmark's own flags, checked before anything runs. Google
// Benchmark itself takes many values that cannot work and finds out late or
// not at all: --benchmark_out_format=xml prints its usage and exits 0,
// --benchmark_repetitions=-1 throws std::length_error, 0 runs nothing,
// --benchmark_out=DIR fails after the whole run, a bad filter runs nothing,
// a boolean flag takes any word as true. Each is a usage error here instead.
//
// The checks follow what Google Benchmark does with each flag (its
// ParseCommandLineFlags, 1.7.1 to 1.9.5): the same names, the same
// "--name=value" form, booleans bare or with a value.
#include "gbflags.h"

#include "output.h"

#include "cb_config.h"
#include "executor.h"
#include "parse.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
// GCC 12 warns of maybe-uninitialized std::function members inside
// <regex> when it compiles with -fsanitize=address (scripts/test --asan), a
// false positive in the library's header, not in this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace cb {
namespace {

// Whether this Google Benchmark takes --benchmark_min_time with a unit:
// "0.5s" (or "10x", iterations) from 1.8 on, where a bare number still works
// but logs "should have a suffix" on every run; 1.7.1 takes only a bare
// number. Found by meson.build (a compile check), not from the version.
constexpr bool kMinTimeSuffix = CB_GBENCH_MIN_TIME_SUFFIX;

// A repetition keeps its whole report until the end; beyond this, a full
// suite would not fit in memory.
constexpr unsigned kMaxRepetitions = 10000;
// Google Benchmark's own limit on iterations (kMaxIterations).
constexpr unsigned kMaxIterations = 1000000000;

enum class Kind {
    Bool,        // bare, or a value that is clearly true or false
    MinTime,     // seconds, with or without an s; or Nx iterations (1.8+)
    Seconds,     // seconds, a bare number
    Repetitions, // a positive whole number
    Filter,      // a regular expression, optionally negated by a leading -
    Format,      // the console's format
    OutFormat,   // the file's format: JSON only
    Out,         // a file that can be written and renamed into place
    Color,       // auto, or true or false
    Context,     // key=value,... with keys of its own
    TimeUnit,    // ms, the unit every concbench benchmark reports in
    Any,         // not checked
};

struct Known {
    const char *name;
    Kind kind;
};

// Every flag of Google Benchmark's ParseCommandLineFlags but --v, which
// concbench does not pass through. benchmark_dry_run is 1.9's: 1.7.1 itself
// refuses it as unknown.
const Known known_flags[] = {
    {"benchmark_list_tests", Kind::Bool},
    {"benchmark_filter", Kind::Filter},
    {"benchmark_min_time", Kind::MinTime},
    {"benchmark_min_warmup_time", Kind::Seconds},
    {"benchmark_repetitions", Kind::Repetitions},
    {"benchmark_dry_run", Kind::Bool},
    {"benchmark_enable_random_interleaving", Kind::Bool},
    {"benchmark_report_aggregates_only", Kind::Bool},
    {"benchmark_display_aggregates_only", Kind::Bool},
    {"benchmark_format", Kind::Format},
    {"benchmark_out", Kind::Out},
    {"benchmark_out_format", Kind::OutFormat},
    {"benchmark_color", Kind::Color},
    {"benchmark_counters_tabular", Kind::Bool},
    // Which counters exist depends on libpfm; without it (Debian's build)
    // Google Benchmark says "not supported" once and runs on.
    {"benchmark_perf_counters", Kind::Any},
    {"benchmark_context", Kind::Context},
    {"benchmark_time_unit", Kind::TimeUnit},
};

// Context keys already taken: Google Benchmark's own (1.7.1 to 1.9.5) and
// concbench's (describe.cc's add_context, csrc/sysinfo.c), and the names of
// the modes' options (context_key_taken). A --benchmark_context key among
// them would be dropped with a warning, or written twice into the JSON's
// context.
const std::set<std::string> taken_context_keys = {
    "date", "host_name", "executable", "num_cpus", "mhz_per_cpu",
    "cpu_scaling_enabled", "aslr_enabled", "caches", "load_avg",
    "library_version", "library_build_type", "json_schema_version", "dry_run",
    "concbench_version", "cpu_model", "cpus_online", "cpus_allowed", "kernel",
    "compiler", "gmp_version", "governor", "smt", "benchmark_version",
    "build_type", "tasks", "io_ms", "timeout_s", "modes", "cpu_quota",
    "order", "rounds", "order_seed", "kernel_libs", "payload", "parent_rss",
    "margin", "batches", "rounds_auto_budget_s", "mpi_worker_hosts",
};

bool context_key_taken(const std::string &key)
{
    if (taken_context_keys.count(key))
        return true;
    for (size_t m = 0; m < cb_mode_count; m++)
        for (size_t i = 0; cb_modes[m]->options && cb_modes[m]->options[i];
             i++)
            if (key == cb_modes[m]->options[i]->name)
                return true;
    return false;
}

std::string lower(std::string s)
{
    for (char &c : s)
        c = (char)std::tolower((unsigned char)c);
    return s;
}

// The spellings taken as true or false; Google Benchmark takes any other word
// as true.
int truth(const std::string &value)
{
    static const std::set<std::string> yes = {"true", "yes", "on", "1", "t", "y"};
    static const std::set<std::string> no = {"false", "no", "off", "0", "f", "n"};
    std::string v = lower(value);
    return yes.count(v) ? 1 : no.count(v) ? 0 : -1;
}

bool is_decimal(const std::string &s)
{
    static const std::regex decimal(
        R"(([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)");
    return std::regex_match(s, decimal);
}

// seconds is a time in seconds of 0 or more; shown is the value as given.
std::string check_seconds(const std::string &flag, const std::string &seconds,
                          const std::string &shown, const char *example)
{
    bool negative = !seconds.empty() && seconds[0] == '-';
    if (!is_decimal(negative ? seconds.substr(1) : seconds))
        return flag + ": '" + shown + "' is not a time in seconds (like " +
               example + ")";
    if (negative)
        return flag + ": " + shown + " is negative";
    if (!std::isfinite(std::strtod(seconds.c_str(), nullptr)))
        return flag + ": " + shown + " is too large";
    return "";
}

// Checks value and puts it in the library's form.
std::string check_min_time(const std::string &flag, std::string &value)
{
    if (value.back() == 'x') {
        unsigned n;
        if (cb_parse_uint(value.substr(0, value.size() - 1).c_str(), 1,
                          kMaxIterations, &n) != 0)
            return flag + ": '" + value +
                   "' is not a positive whole number of iterations (like 10x)";
        if (!kMinTimeSuffix)
            return flag + ": " + value +
                   ": iterations need Google Benchmark 1.8 or later, this "
                   "is " CB_BENCHMARK_VERSION;
        return "";
    }
    std::string seconds = value;
    if (seconds.back() == 's')
        seconds.pop_back();
    std::string why = check_seconds(flag, seconds, value, "0.5 or 0.5s");
    if (why.empty())
        value = seconds + (kMinTimeSuffix ? "s" : "");
    return why;
}

std::string check_repetitions(const std::string &flag, const std::string &value)
{
    unsigned n;
    int rc = cb_parse_uint(value.c_str(), 1, kMaxRepetitions, &n);
    bool zero = value.find_first_not_of('0') == std::string::npos;
    if (rc == -ERANGE && !zero)
        return flag + ": " + value + " is out of range (1 to " +
               std::to_string(kMaxRepetitions) + ")";
    if (rc != 0)
        return flag + ": " + value + " is not a positive whole number";
    return "";
}

std::string check_filter(const std::string &flag, const std::string &value)
{
    // As Google Benchmark reads it: empty or "all" is everything, a leading
    // - negates, the rest is an extended regular expression. The library is
    // built with std::regex wherever the compiler has it (1.7.1 and 1.9.5
    // on Debian 12 are); its POSIX fallback takes the same extended syntax.
    if (value.empty() || value == "all")
        return "";
    std::string spec = value[0] == '-' ? value.substr(1) : value;
    try {
        std::regex re(spec, std::regex::extended);
    } catch (const std::regex_error &e) {
        return flag + ": '" + value + "' is not a regular expression (" +
               e.what() + ")";
    }
    return "";
}

// Whether the file can be written at the end (bench/output.cc).
std::string check_out(const std::string &flag, const std::string &path)
{
    if (path.empty())
        return flag + " needs a file name";
    std::string why;
    if (!output_writable(path, &why))
        return flag + ": " + path + ": " + why;
    return "";
}

std::string check_context(const std::string &flag, const std::string &value)
{
    // Google Benchmark's form: key=value pairs split at commas, one = each.
    std::set<std::string> keys;
    size_t start = 0;
    for (;;) {
        size_t comma = value.find(',', start);
        std::string pair = value.substr(start, comma - start);
        size_t eq = pair.find('=');
        if (eq == std::string::npos || eq == 0 ||
            pair.find('=', eq + 1) != std::string::npos)
            return flag + ": '" + pair + "' is not key=value";
        std::string key = pair.substr(0, eq);
        if (!keys.insert(key).second)
            return flag + ": '" + key + "' given twice";
        if (context_key_taken(key))
            return flag + ": '" + key +
                   "' is a key of the context concbench writes itself";
        if (comma == std::string::npos)
            return "";
        start = comma + 1;
    }
}

std::string check_choice(const std::string &flag, const std::string &value,
                         const std::set<std::string> &choices,
                         const std::string &what)
{
    if (choices.count(value))
        return "";
    return flag + ": '" + value + "' is not " + what;
}

} // namespace

std::string check_gbench_flags(std::vector<std::string> &gb)
{
    for (std::string &arg : gb) {
        // parse_args passes on what starts with --benchmark_.
        size_t eq = arg.find('=');
        std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
        bool has_value = eq != std::string::npos;
        std::string value = has_value ? arg.substr(eq + 1) : "";
        const Known *known = nullptr;
        for (const Known &k : known_flags)
            if (name == k.name)
                known = &k;
        if (!known)
            continue; // Google Benchmark refuses it, before anything runs
        const std::string flag = "--" + name;
        if (known->kind != Kind::Bool && known->kind != Kind::Out &&
            (!has_value ||
             (value.empty() && known->kind != Kind::Filter &&
              known->kind != Kind::Any)))
            return flag + " needs a value (" + flag + "=...)";

        std::string why;
        switch (known->kind) {
        case Kind::Bool: {
            int t = has_value ? truth(value) : 1;
            if (t < 0)
                why = flag + ": '" + value + "' is not true or false";
            break;
        }
        case Kind::MinTime:
            why = check_min_time(flag, value);
            arg = flag + "=" + value;
            break;
        case Kind::Seconds:
            why = check_seconds(flag, value, value, "0.5");
            break;
        case Kind::Repetitions:
            why = check_repetitions(flag, value);
            break;
        case Kind::Filter:
            why = check_filter(flag, value);
            break;
        case Kind::Format:
            // The driver's reporters (bench/rounds.cc): no CSV.
            why = check_choice(flag, value, {"console", "json"},
                               "console or json");
            break;
        case Kind::OutFormat:
            why = check_choice(flag, value, {"json"},
                               "json: the file concbench writes is JSON");
            break;
        case Kind::Out:
            why = check_out(flag, value);
            break;
        case Kind::Color:
            if (value != "auto" && truth(value) < 0)
                why = flag + ": '" + value + "' is not auto, true or false";
            break;
        case Kind::Context:
            why = check_context(flag, value);
            break;
        case Kind::TimeUnit:
            why = check_choice(flag, value, {"ms"},
                               "ms: concbench reports every time in ms");
            break;
        case Kind::Any:
            break;
        }
        if (!why.empty())
            return why;
    }
    return "";
}

bool gbench_flag_true(const std::string &value)
{
    return value.empty() || truth(value) == 1;
}

std::string gbench_min_time_flag(const std::string &seconds)
{
    return "--benchmark_min_time=" + seconds + (kMinTimeSuffix ? "s" : "");
}

RunFlags take_run_flags(std::vector<std::string> &gb)
{
    RunFlags f;
    std::vector<std::string> rest;
    for (const std::string &arg : gb) {
        size_t eq = arg.find('=');
        std::string flag = arg.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
        bool yes = gbench_flag_true(value);
        if (flag == "--benchmark_out")
            f.out = value;
        else if (flag == "--benchmark_out_format")
            ; // json, the only one
        else if (flag == "--benchmark_format")
            f.json_display = value == "json";
        else if (flag == "--benchmark_repetitions")
            f.repetitions = (unsigned)std::stoul(value);
        else if (flag == "--benchmark_filter")
            f.filter = value;
        else if (flag == "--benchmark_list_tests")
            f.list_tests = yes;
        else if (flag == "--benchmark_enable_random_interleaving")
            f.interleaving = yes;
        else if (flag == "--benchmark_display_aggregates_only")
            f.display_aggregates_only = yes;
        else if (flag == "--benchmark_report_aggregates_only")
            f.report_aggregates_only = yes;
        else if (flag == "--benchmark_counters_tabular")
            f.tabular = yes;
        else if (flag == "--benchmark_color")
            f.color = value;
        else
            rest.push_back(arg);
    }
    gb = rest;
    return f;
}

bool use_color(const std::string &color)
{
    if (color == "auto") {
        const char *term = std::getenv("TERM");
        return isatty(STDOUT_FILENO) && term && std::strcmp(term, "dumb") != 0;
    }
    return gbench_flag_true(color);
}

} // namespace cb
