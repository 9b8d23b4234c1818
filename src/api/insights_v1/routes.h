// The Contact Center AI Insights v1 dialect: its routes on the shared router.
#pragma once

#include <string>

#include "api/http/router.h"
#include "core/blob_uri.h"
#include "core/conversation_service.h"
#include "jobs/analysis_jobs.h"
#include "jobs/job_queue.h"
#include "store/store.h"

namespace parley::insights_v1 {

struct Options {
  core::BlobOptions blobs;  // where gs:// and file:// transcript URIs are read from
  std::string export_dir;   // where insightsdata:export writes (empty: export refused)
};

// What the handlers work with; everything must outlive the router.
struct Services {
  core::ConversationService* conversations = nullptr;
  jobs::AnalysisService* analysis = nullptr;
  jobs::JobQueue* jobs = nullptr;
  store::Store* store = nullptr;
};

// Registers every Insights v1 route.
void AddRoutes(const Options& options, const Services& services, http::Router* router);

// The parts, each in its own file.
void AddConversationRoutes(const Options& options, const Services& services, http::Router* router);
void AddAnalysisRoutes(const Services& services, http::Router* router);
void AddPhraseMatcherRoutes(const Services& services, http::Router* router);
void AddSettingsRoutes(const Services& services, http::Router* router);
void AddUploadRoutes(const Options& options, const Services& services, http::Router* router);
// insightsdata:export; registers the ExportJob runner on services.jobs (so
// before the queue starts). Needs options.export_dir, services.jobs,
// services.analysis and services.store.
void AddExportRoutes(const Options& options, const Services& services, http::Router* router);
// conversations:calculateStats.
void AddStatsRoutes(const Services& services, http::Router* router);

}  // namespace parley::insights_v1
