// The Contact Center AI Insights v1 dialect: its routes on the shared router.
#pragma once

#include <string>

#include "api/dialect.h"
#include "api/http/router.h"
#include "service/analysis_service.h"
#include "service/conversation_service.h"
#include "service/ingest_service.h"
#include "service/operation_service.h"
#include "service/resource_service.h"
#include "service/settings_service.h"

namespace parley::insights_v1 {

// blobs: where gs:// and file:// transcript URIs are read from; export_dir:
// where insightsdata:export writes (empty: export refused).
using Options = api::ServerConfig;
// What the handlers work with; everything must outlive the router.
using Services = api::Services;

// Registers every Insights v1 route.
void AddRoutes(const Options& options, const Services& services, http::Router* router);

// The parts, each in its own file.
void AddConversationRoutes(const Options& options, const Services& services, http::Router* router);
void AddAnalysisRoutes(const Options& options, const Services& services, http::Router* router);
void AddPhraseMatcherRoutes(const Services& services, http::Router* router);
void AddSettingsRoutes(const Services& services, http::Router* router);
void AddUploadRoutes(const Options& options, const Services& services, http::Router* router);
// insightsdata:export. Needs options.export_dir; its ExportJob runner is
// registered by ExportRunner (before the queue starts).
void AddExportRoutes(const Options& options, const Services& services, http::Router* router);
// conversations:calculateStats.
void AddStatsRoutes(const Services& services, http::Router* router);

}  // namespace parley::insights_v1
