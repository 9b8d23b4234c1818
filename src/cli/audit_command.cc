// `parley audit`: the audit log of a data directory (README, Audit log; ADR
// 0013) — every destructive or admin request the server answered and every
// key created or revoked, oldest first.
//
//   parley audit --data-dir DIR [--since RFC3339|DURATION] [--tenant T] [--json]
//
// --since takes a timestamp (2024-05-01T10:00:00Z) or how far back to go
// (90s, 30m, 1h, 2d). One line per entry: time, key, tenant, action,
// resource, result, tab-separated; with --json one JSON object per line.
// Exit codes: 0 done, 2 bad arguments, 1 store errors.
#include <sys/stat.h>

#include <cctype>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "core/time_format.h"
#include "service/audit_service.h"
#include "store/store.h"

namespace parley::cli {
namespace {

struct AuditFlags {
  std::string data_dir = "var/data";
  std::string store;  // --store: a PostgreSQL URL instead of --data-dir
  std::string since;
  std::string tenant;
  bool json = false;
};

// "90s", "30m", "1h", "2d" -> microseconds; nullopt when not of that form.
std::optional<int64_t> ParseAgo(const std::string& text) {
  if (text.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) || n > 1'000'000'000) return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  return n * unit * 1'000'000;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

int Run(const AuditFlags& flags) {
  int64_t since_us = 0;
  if (!flags.since.empty()) {
    if (std::optional<int64_t> ago = ParseAgo(flags.since)) {
      since_us = core::NowMicros() - *ago;
    } else if (auto at = core::ParseTimestampMicros(flags.since); at.ok()) {
      since_us = *at;
    } else {
      std::cerr << "parley audit: --since must be an RFC 3339 time or a duration like 90s, 30m, 1h, 2d\n";
      return 2;
    }
  }
  ::umask(077);
  auto store = store::OpenStore(flags.store.empty() ? "sqlite:" + flags.data_dir : flags.store);
  if (!store.ok()) {
    std::cerr << "parley audit: cannot open the store in " << flags.data_dir << ": "
              << store.status().message() << "\n";
    return 1;
  }
  service::AuditService audit(store->get());
  auto entries = audit.List(since_us, flags.tenant);
  (*store)->Close();
  if (!entries.ok()) {
    std::cerr << "parley audit: " << entries.status().message() << "\n";
    return 1;
  }
  for (const store::AuditEntry& e : *entries) {
    const std::string time = core::FormatTimestampMicros(e.time_us);
    if (flags.json) {
      std::cout << "{\"time\":" << JsonString(time) << ",\"key\":" << JsonString(e.key)
                << ",\"tenant\":" << JsonString(e.tenant) << ",\"action\":" << JsonString(e.action)
                << ",\"resource\":" << JsonString(e.resource) << ",\"result\":" << JsonString(e.result)
                << "}\n";
    } else {
      std::cout << time << "\t" << e.key << "\t" << (e.tenant.empty() ? "-" : e.tenant) << "\t" << e.action
                << "\t" << e.resource << "\t" << e.result << "\n";
    }
  }
  return 0;
}

void AddAuditCommand(CLI::App& app) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* cmd = app.add_subcommand("audit", "Print the audit log of destructive and admin actions");
  cmd->add_option("--data-dir", flags->data_dir, "Directory of the embedded store")->capture_default_str();
  cmd->add_option("--store", flags->store, "PostgreSQL database to use instead of the embedded store: postgresql://USER@HOST:PORT/DB[?...] (docs/adr/0021)");
  cmd->add_option("--since", flags->since,
                  "Only entries at or after this RFC 3339 time, or this long ago (90s, 30m, 1h, 2d)");
  cmd->add_option("--tenant", flags->tenant, "Only entries of this tenant");
  cmd->add_flag("--json", flags->json, "One JSON object per line");
  cmd->callback([flags] {
    if (int rc = Run(*flags); rc != 0) throw CLI::RuntimeError(rc);
  });
}

const bool kRegistered = RegisterCommand(&AddAuditCommand);

}  // namespace
}  // namespace parley::cli
