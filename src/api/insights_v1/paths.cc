#include "api/insights_v1/paths.h"

#include "api/insights_v1/mapping.h"

namespace parley::insights_v1 {

absl::Status CheckParent(const http::PathParams& p) {
  return google_api::CheckCaptures(p, {"project", "location"},
                                   "parent must be projects/{project}/locations/{location}");
}

std::string ParentName(const http::PathParams& p) {
  return LocationName(p.Get("project"), p.Get("location"));
}

}  // namespace parley::insights_v1
