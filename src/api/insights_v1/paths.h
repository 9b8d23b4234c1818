// What the Insights v1 handlers take from the shared Google layer
// (api/google/request.h), and the checks of their own path: the
// {project}/{location} parent every Insights resource lives under.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "api/google/request.h"
#include "api/http/router.h"

namespace parley::insights_v1 {

using google_api::CheckFields;
using google_api::CheckNameMatchesUrl;
using google_api::EffectivePageSize;
using google_api::Error;
using google_api::IsEmptyBody;
using google_api::Json;
using google_api::ParseBody;
using google_api::ParseBool;
using google_api::ParsePageSize;
using google_api::PageCursor;
using google_api::PatchPaths;
using google_api::Query;
using google_api::UpdateMaskPaths;

// The page size of an Insights list (AIP-158): 0 (unset) is 100, more than
// 1000 is 1000.
inline int PageSize(int requested) { return EffectivePageSize(requested, 100, 1000); }

// Checks the {project} and {location} segments; they name the tenant and scope.
absl::Status CheckParent(const http::PathParams& p);

// "projects/P/locations/L" of the request's path.
std::string ParentName(const http::PathParams& p);

}  // namespace parley::insights_v1
