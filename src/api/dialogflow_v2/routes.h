// The Dialogflow ES v2 dialect: its routes on the shared router.
#pragma once

#include "api/dialect.h"
#include "api/http/router.h"

namespace parley::dialogflow_v2 {

// Registers every route, each under both path forms (with and without
// /locations/{location}).
void AddRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router);

// The parts, each in its own file.
void AddProfileRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router);
void AddConversationRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router);
void AddAgentRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router);
void AddKnowledgeRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router);
void AddAnswerRecordRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router);

}  // namespace parley::dialogflow_v2
