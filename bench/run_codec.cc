// A Google Benchmark run as bytes and back (run_codec.h).
#include "run_codec.h"

#include "cb_config.h"

#include <cstdint>
#include <cstring>

namespace cb {
namespace {

class Writer {
public:
    template <typename T> void num(T v)
    {
        out.append(reinterpret_cast<const char *>(&v), sizeof v);
    }
    void str(const std::string &s)
    {
        num<uint64_t>(s.size());
        out += s;
    }
    std::string out;
};

class Reader {
public:
    explicit Reader(const std::string &b) : bytes(b) {}
    template <typename T> bool num(T *v)
    {
        if (bytes.size() - at < sizeof *v)
            return false;
        std::memcpy(v, bytes.data() + at, sizeof *v);
        at += sizeof *v;
        return true;
    }
    bool str(std::string *s)
    {
        uint64_t n;
        if (!num(&n) || bytes.size() - at < n)
            return false;
        s->assign(bytes, at, n);
        at += n;
        return true;
    }
    bool done() const { return at == bytes.size(); }

private:
    const std::string &bytes;
    size_t at = 0;
};

// The fields of a run that the driver's reporters and aggregates read, in
// one order for both ends: f(field) for each.
template <typename F, typename R> bool fields(R &r, F &&f)
{
    return f(r.run_name.function_name) && f(r.run_name.args) &&
           f(r.run_name.min_time) && f(r.run_name.iterations) &&
           f(r.run_name.repetitions) && f(r.run_name.time_type) &&
           f(r.run_name.threads) && f(r.family_index) &&
           f(r.per_family_instance_index) && f(r.aggregate_name) &&
           f(r.report_label) && f(r.iterations) && f(r.threads) &&
           f(r.repetition_index) && f(r.repetitions) &&
           f(r.real_accumulated_time) && f(r.cpu_accumulated_time) &&
           f(r.max_heapbytes_used) && f(r.complexity_n) &&
           f(r.allocs_per_iter);
}

} // namespace

bool run_failed(const Run &r)
{
#if CB_GBENCH_RUN_SKIPPED
    return r.skipped != benchmark::internal::NotSkipped;
#else
    return r.error_occurred;
#endif
}

std::string run_error(const Run &r)
{
#if CB_GBENCH_RUN_SKIPPED
    return r.skip_message;
#else
    return r.error_message;
#endif
}

void set_run_error(Run *r, const std::string &message)
{
#if CB_GBENCH_RUN_SKIPPED
    r->skipped = benchmark::internal::SkippedWithError;
    r->skip_message = message;
#else
    r->error_occurred = true;
    r->error_message = message;
#endif
}

std::string encode_runs(const std::vector<Run> &runs)
{
    Writer w;
    w.num<uint64_t>(runs.size());
    for (const Run &r : runs) {
        fields(r, [&w](const auto &v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>,
                                         std::string>)
                w.str(v);
            else
                w.num(v);
            return true;
        });
        w.num<int32_t>(r.run_type);
        w.num<int32_t>(r.aggregate_unit);
        w.num<int32_t>(r.time_unit);
        w.num<int32_t>(run_failed(r));
        w.str(run_error(r));
        w.num<uint64_t>(r.counters.size());
        for (const auto &c : r.counters) {
            w.str(c.first);
            w.num(c.second.value);
            w.num<int32_t>(c.second.flags);
            w.num<int32_t>(c.second.oneK);
        }
    }
    return w.out;
}

bool decode_runs(const std::string &bytes, std::vector<Run> *runs)
{
    Reader rd(bytes);
    uint64_t n;
    if (!rd.num(&n) || n > bytes.size())
        return false;
    runs->clear();
    for (uint64_t i = 0; i < n; i++) {
        Run r;
        bool ok = fields(r, [&rd](auto &v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>,
                                         std::string>)
                return rd.str(&v);
            else
                return rd.num(&v);
        });
        int32_t type, unit, time_unit, failed;
        std::string error;
        uint64_t counters;
        ok = ok && rd.num(&type) && rd.num(&unit) && rd.num(&time_unit) &&
             rd.num(&failed) && rd.str(&error) && rd.num(&counters) &&
             counters <= bytes.size();
        if (!ok)
            return false;
        r.run_type = static_cast<Run::RunType>(type);
        r.aggregate_unit = static_cast<benchmark::StatisticUnit>(unit);
        r.time_unit = static_cast<benchmark::TimeUnit>(time_unit);
        r.statistics = nullptr; // the driver computes the aggregates
        if (failed)
            set_run_error(&r, error);
        for (uint64_t k = 0; k < counters; k++) {
            std::string name;
            double value;
            int32_t flags, one_k;
            if (!rd.str(&name) || !rd.num(&value) || !rd.num(&flags) ||
                !rd.num(&one_k))
                return false;
            r.counters[name] = benchmark::Counter(
                value, static_cast<benchmark::Counter::Flags>(flags),
                static_cast<benchmark::Counter::OneK>(one_k));
        }
        runs->push_back(std::move(r));
    }
    return rd.done();
}

} // namespace cb
