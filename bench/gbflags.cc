// Google Benchmark's own flags as concbench passes them through: put in the
// form the Google Benchmark concbench is built against understands.
#include "gbflags.h"

#include "cb_config.h"
#include "parse.h"

#include <cmath>
#include <cstdlib>
#include <regex>

namespace cb {
namespace {

// Whether this Google Benchmark takes --benchmark_min_time with a unit:
// "0.5s" (or "10x", iterations) from 1.8 on, where a bare number still works
// but logs "should have a suffix" on every run; 1.7.1 takes only a bare
// number. Found by meson.build (a compile check), not from the version.
constexpr bool kMinTimeSuffix = CB_GBENCH_MIN_TIME_SUFFIX;

// Google Benchmark's own limit on iterations (kMaxIterations).
constexpr unsigned kMaxIterations = 1000000000;

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

} // namespace

std::string check_gbench_flags(std::vector<std::string> &gb)
{
    for (std::string &arg : gb) {
        // parse_args passes on what starts with --benchmark_.
        size_t eq = arg.find('=');
        std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
        if (name != "benchmark_min_time")
            continue;
        const std::string flag = "--" + name;
        std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
        if (value.empty())
            return flag + " needs a value (" + flag + "=...)";
        std::string why = check_min_time(flag, value);
        if (!why.empty())
            return why;
        arg = flag + "=" + value;
    }
    return "";
}

std::string gbench_min_time_flag(const std::string &seconds)
{
    return "--benchmark_min_time=" + seconds + (kMinTimeSuffix ? "s" : "");
}

} // namespace cb
