// Insights v1 statistics:
//   GET .../conversations:calculateStats?filter=...   CalculateStatsResponse
// Computed on request by paging through the matching conversations (1000 a
// page, in creation order); a conversation's latest analysis is read only
// when it has one (for the phrase matcher counts and Parley's extensions:
// average sentiment, intent counts; ADR 0030). Semantics in
// docs/insights-export.md.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/insights_v1/filter_fields.h"
#include "api/insights_v1/mapping.h"
#include "api/insights_v1/paths.h"
#include "api/insights_v1/routes.h"
#include "core/filter.h"
#include "core/time_format.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {
namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr int64_t kHourUs = int64_t{3600} * 1'000'000;
constexpr int64_t kDayUs = 24 * kHourUs;

// The time series' interval for conversations created over `span_us`: hours
// up to two days, days up to 180 days, weeks beyond.
int64_t IntervalFor(int64_t span_us) {
  if (span_us < 2 * kDayUs) return kHourUs;
  if (span_us < 180 * kDayUs) return kDayUs;
  return 7 * kDayUs;
}

int64_t FloorTo(int64_t t, int64_t step) {
  int64_t q = t / step;
  if (t % step < 0) --q;
  return q * step;
}

int32_t Clamp32(int64_t v) {
  return static_cast<int32_t>(std::min<int64_t>(v, INT32_MAX));
}

class StatsHandler {
 public:
  explicit StatsHandler(const Services& services) : s_(services) {}

  Response Calculate(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckParent(p); !st.ok()) return Error(st);
    core::ConversationQuery query;
    query.tenant = std::string(p.Get("project"));
    if (p.Get("location") != "-") query.scope = std::string(p.Get("location"));
    if (const std::string* f = q->Get("filter"); f && !absl::StripAsciiWhitespace(*f).empty()) {
      auto expr = core::ParseFilter(*f);
      if (!expr.ok()) return Error(expr.status());
      auto condition = ConversationCondition(*expr);
      if (!condition.ok()) return Error(condition.status());
      query.condition = std::move(*condition);
    }
    query.order_by = core::ConversationColumn::kCreateTime;
    query.order = core::SortOrder::kAscending;
    query.page_size = 1000;
    query.now_us = core::NowMicros();

    int64_t count = 0, with_duration = 0, duration_sum_us = 0, turns = 0, analyzed = 0;
    double sentiment_sum = 0;
    std::vector<int64_t> created;  // ascending (the query's order)
    std::vector<float> sentiment;  // beside `created`: the latest analysis's overall score, or NaN
    std::map<std::string, int64_t> matcher_counts;  // resource name -> conversations
    std::map<std::string, int64_t> intent_counts;   // display name -> conversations
    absl::flat_hash_set<std::string> seen;
    absl::Status scanned = s_.conversations->ForEach(query, [&](const core::Conversation& c) {
      ++count;
      created.push_back(c.create_time_us());
      sentiment.push_back(std::nanf(""));
      if (c.has_duration_us()) {
        ++with_duration;
        duration_sum_us += c.duration_us();
      }
      turns += c.has_turn_count() ? c.turn_count() : 0;
      if (c.latest_analysis_id().empty()) return true;
      auto a = s_.analysis->LatestAnalysis(c);
      if (!a.ok()) return true;  // deleted meanwhile
      seen.clear();
      for (const core::PhraseMatch& m : a->result().phrase_matches()) {
        if (!seen.insert(m.matcher_id()).second) continue;
        ++matcher_counts[PhraseMatcherName(c.tenant(), c.scope(), m.matcher_id())];
      }
      seen.clear();
      for (const core::IntentMatch& m : a->result().intents()) {
        const std::string& name = m.display_name().empty() ? m.intent_id() : m.display_name();
        if (seen.insert(name).second) ++intent_counts[name];
      }
      ++analyzed;
      sentiment.back() = a->result().overall_sentiment().score();
      sentiment_sum += sentiment.back();
      return true;
    });
    if (!scanned.ok()) return Error(scanned);

    CalculateStatsResponse out;
    out.set_conversation_count(Clamp32(count));
    if (with_duration > 0) {
      SetDuration(static_cast<int64_t>(std::llround(static_cast<double>(duration_sum_us) / with_duration)),
                  out.mutable_average_duration());
    }
    if (count > 0) {
      out.set_average_turn_count(
          Clamp32(static_cast<int64_t>(std::llround(static_cast<double>(turns) / count))));
    }
    for (const auto& [name, n] : matcher_counts) (*out.mutable_custom_highlighter_matches())[name] = Clamp32(n);
    out.set_analyzed_conversation_count(Clamp32(analyzed));
    if (analyzed > 0) out.set_average_sentiment(static_cast<float>(sentiment_sum / static_cast<double>(analyzed)));
    for (const auto& [name, n] : intent_counts) (*out.mutable_intent_matches())[name] = Clamp32(n);
    // Smart highlighters and issue models do not exist in Parley: those maps stay empty.
    if (!created.empty()) {
      const int64_t step = IntervalFor(created.back() - created.front());
      auto* series = out.mutable_conversation_count_time_series();
      SetDuration(step, series->mutable_interval_duration());
      const int64_t first = FloorTo(created.front(), step);
      const int64_t last = FloorTo(created.back(), step);
      size_t i = 0;
      for (int64_t start = first; start <= last; start += step) {
        int64_t n = 0, scored = 0;
        double sum = 0;
        for (; i < created.size() && created[i] < start + step; ++i) {
          ++n;
          if (std::isnan(sentiment[i])) continue;
          ++scored;
          sum += sentiment[i];
        }
        auto* point = series->add_points();
        SetTimestamp(start, point->mutable_start_time());
        point->set_conversation_count(Clamp32(n));
        if (scored > 0) point->set_average_sentiment(static_cast<float>(sum / static_cast<double>(scored)));
      }
    }
    return Json(out, *q);
  }

 private:
  Services s_;
};

}  // namespace

void AddStatsRoutes(const Services& services, http::Router* router) {
  auto h = std::make_shared<StatsHandler>(services);
  router->Add(Method::kGet, "/v1/projects/{project}/locations/{location}/conversations:calculateStats",
              [h](const Request& r, const PathParams& p) { return h->Calculate(r, p); },
              http::Dispatch::kBlocking);
}

}  // namespace parley::insights_v1
