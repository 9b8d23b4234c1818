// The Contact Center AI Insights v1 dialect: its routes on the shared router.
#pragma once

#include <string>

#include "api/http/router.h"
#include "core/blob_uri.h"
#include "core/conversation_service.h"

namespace parley::insights_v1 {

struct Options {
  core::BlobOptions blobs;  // where gs:// and file:// transcript URIs are read from
};

// Registers every Insights v1 route. `conversations` must outlive the router.
void AddRoutes(const Options& options, core::ConversationService* conversations,
               http::Router* router);

}  // namespace parley::insights_v1
