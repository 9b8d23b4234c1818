// `parley migrate`: copies everything a store holds into another one and
// checks the copy (README, PostgreSQL; ADR 0034).
//
//   parley migrate --from sqlite:DIR --to postgresql://USER@HOST:PORT/DB [--batch N]
//                  [--allow-non-empty] [--verify-only]
//
// Either side may be sqlite:DIR or a PostgreSQL URL. Every tenant's
// conversations (with their analyses and stored views), operations,
// configuration resources (phrase matchers, settings, API keys, knowledge
// bases, agents' resources, ...), the audit log and the server settings
// (the page-token key) are copied in batches, each batch one transaction,
// with a progress bar on a terminal. A destination that holds anything is
// refused unless --allow-non-empty (which keeps the destination's settings),
// or unless it holds the mark of an unfinished copy of the same source
// (store::kCopyMarkKey): then the copy resumes, skipping what is there
// already (ADR 0034). Then both stores are read again and
// compared kind by kind: counts and SHA-256 of the content on each side,
// printed one kind per line (tab-separated: kind, source count, destination
// count, source SHA-256, destination SHA-256, ok|MISMATCH).
// --verify-only compares without copying.
// Exit codes: 0 copied and verified; 1 store errors or a refused
// destination; 2 bad arguments; 3 the stores differ.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "cli/progress.h"
#include "store/store.h"
#include "store/store_copy.h"

namespace parley::cli {
namespace {

struct MigrateFlags {
  std::string from;
  std::string to;
  int batch = 256;
  bool allow_non_empty = false;
  bool verify_only = false;
};

constexpr int kMismatch = 3;

// The mark an unfinished copy leaves in its destination (store::kCopyMarkKey):
// which source, and what the copy decided before its first record.
struct CopyMark {
  std::string source;           // --from as given
  std::string source_settings;  // store::SettingsDigest of the source
  int64_t audit_after = 0;      // the destination's last audit seq before the copy
  bool keep_settings = false;   // the destination held data: its settings stay

  std::string Text() const {
    return absl::StrCat("source=", source, "\nsource_settings=", source_settings, "\naudit_after=", audit_after,
                        "\nsettings=", keep_settings ? "keep" : "replace", "\n");
  }
  // The same store: the same settings (a random page-token key), or for a
  // store without settings the same --from.
  bool SameSource(const std::string& from, const std::string& settings_digest) const {
    return settings_digest.empty() ? source_settings.empty() && source == from : source_settings == settings_digest;
  }
};

bool ParseMark(const std::string& text, CopyMark* mark) {
  int fields = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return false;
    const absl::string_view name = line.substr(0, eq), value = line.substr(eq + 1);
    if (name == "source") {
      mark->source = std::string(value);
    } else if (name == "source_settings") {
      mark->source_settings = std::string(value);
    } else if (name == "audit_after") {
      if (!absl::SimpleAtoi(value, &mark->audit_after)) return false;
    } else if (name == "settings") {
      mark->keep_settings = value == "keep";
    } else {
      continue;
    }
    ++fields;
  }
  return fields == 4;
}

// The directory of a sqlite:DIR spec, or "" for a PostgreSQL URL.
std::string SqliteDir(const std::string& spec) {
  return absl::StartsWith(spec, "sqlite:") ? spec.substr(7) : std::string();
}

// Takes DIR/parley.lock as `parley serve` does, so that no server runs on
// the directory while it is copied (the lock goes with the process).
bool LockDir(const std::string& dir) {
  const std::string path = dir + "/parley.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "parley migrate: cannot open " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << "parley migrate: " << dir << " is in use (" << path
              << " is locked by a `parley serve`); stop the server first\n";
    ::close(fd);
    return false;
  }
  return true;
}

// Opens one side; `must_exist`: a sqlite:DIR without a database is an error
// (a mistyped source would otherwise copy an empty store).
std::unique_ptr<store::Store> Open(const std::string& spec, const char* side, bool must_exist) {
  const std::string dir = SqliteDir(spec);
  if (!dir.empty()) {
    std::error_code ec;
    if (must_exist && !std::filesystem::exists(dir + "/parley.db", ec)) {
      std::cerr << "parley migrate: --" << side << " " << spec << ": no store there (" << dir
                << "/parley.db does not exist)\n";
      return nullptr;
    }
    std::filesystem::create_directories(dir, ec);
    if (!LockDir(dir)) return nullptr;
  }
  auto store = store::OpenStore(spec);
  if (!store.ok()) {
    std::cerr << "parley migrate: cannot open --" << side << " " << (dir.empty() ? "database" : spec) << ": "
              << store.status().message() << "\n";
    return nullptr;
  }
  return std::move(*store);
}

int Run(const MigrateFlags& flags) {
  ::umask(077);  // whatever the store creates is the owner's alone
  if (flags.from == flags.to) {
    std::cerr << "parley migrate: --from and --to name the same store\n";
    return 2;
  }
  for (const std::string* spec : {&flags.from, &flags.to}) {
    if (!store::IsPostgresUrl(*spec) && SqliteDir(*spec).empty()) {
      std::cerr << "parley migrate: unknown store \"" << *spec
                << "\": give sqlite:DIRECTORY or postgresql://USER@HOST:PORT/DATABASE\n";
      return 2;
    }
  }
  std::unique_ptr<store::Store> from = Open(flags.from, "from", /*must_exist=*/true);
  if (from == nullptr) return 1;
  std::unique_ptr<store::Store> to = Open(flags.to, "to", /*must_exist=*/flags.verify_only);
  if (to == nullptr) return 1;
  auto close = [&] {
    from->Close();
    to->Close();
  };

  std::unique_ptr<Progress> progress;
  store::CopyOptions options;
  options.batch = flags.batch;
  options.on_kind = [&](std::string_view kind, int64_t total) {
    progress.reset();  // finishes the line of the kind before
    progress = std::make_unique<Progress>(std::string(kind), "records", total);
  };
  options.on_batch = [&](int64_t done) {
    if (progress != nullptr) progress->Update(done, done);
  };

  int64_t audit_mark = 0;
  bool keep_settings = false;
  if (!flags.verify_only) {
    // A destination marked by an interrupted copy of this source resumes it;
    // otherwise the copy starts by marking the destination.
    auto failed = [&](std::string_view what, const absl::Status& status) {
      std::cerr << "parley migrate: " << what << ": " << status.message() << "\n";
      close();
      return 1;
    };
    auto source_id = store::SettingsDigest(*from);
    if (!source_id.ok()) return failed("reading --from", source_id.status());
    auto found = store::CopyMark(*to);
    if (!found.ok()) return failed("reading --to", found.status());
    CopyMark mark;
    if (!found->empty()) {
      if (!ParseMark(*found, &mark)) {
        std::cerr << "parley migrate: --to holds an unreadable mark of an unfinished copy (setting "
                  << store::kCopyMarkKey << "); empty the store\n";
        close();
        return 1;
      }
      if (!mark.SameSource(flags.from, *source_id)) {
        std::cerr << "parley migrate: --to holds an unfinished copy of another store (" << mark.source
                  << "); finish that copy, or empty the store\n";
        close();
        return 1;
      }
      std::cerr << "parley migrate: --to holds an unfinished copy of this store: resuming it\n";
      options.resume = true;
    } else {
      auto kinds = store::NonEmptyKinds(*to);
      if (!kinds.ok()) return failed("reading --to", kinds.status());
      if (!kinds->empty() && !flags.allow_non_empty) {
        std::cerr << "parley migrate: --to is not empty (it holds " << absl::StrJoin(*kinds, ", ")
                  << "); give an empty store, or --allow-non-empty to copy beside what it holds\n";
        close();
        return 1;
      }
      auto last = store::LastAuditSeq(*to);
      if (!last.ok()) return failed("reading --to", last.status());
      mark.source = flags.from;
      mark.source_settings = *source_id;
      mark.audit_after = *last;
      // A store that held data has servers whose page tokens use its key.
      mark.keep_settings = !kinds->empty();
      if (absl::Status s = to->LoadSettings({{std::string(store::kCopyMarkKey), mark.Text()}}); !s.ok()) {
        return failed("writing --to", s);
      }
    }
    audit_mark = mark.audit_after;
    keep_settings = mark.keep_settings;
    options.to_audit_after = audit_mark;
    options.keep_destination_settings = keep_settings;
    auto copied = store::CopyStore(*from, *to, options);
    progress.reset();
    if (!copied.ok()) {
      std::cerr << "parley migrate: copying stopped: " << copied.status().message()
                << "\n(the batches before it are in --to; run the same command again to resume)\n";
      close();
      return 1;
    }
    if (absl::Status s = to->DeleteSetting(store::kCopyMarkKey); !s.ok()) return failed("writing --to", s);
    std::vector<std::string> parts;
    for (const auto& [kind, n] : *copied) parts.push_back(absl::StrCat(n, " ", kind));
    std::cout << "copied " << absl::StrJoin(parts, ", ") << "\n";
  }

  auto checks = store::VerifyCopy(*from, *to, audit_mark, options);
  progress.reset();
  close();
  if (!checks.ok()) {
    std::cerr << "parley migrate: verifying: " << checks.status().message() << "\n";
    return 1;
  }
  bool ok = true;
  std::cout << "KIND\tSOURCE\tDESTINATION\tSOURCE_SHA256\tDESTINATION_SHA256\tRESULT\n";
  for (const store::KindCheck& c : *checks) {
    bool matches = c.matches() && (flags.allow_non_empty || c.destination_only == 0 || c.kind == "settings");
    // Settings the destination held keep its values (its servers' page-token key).
    if (keep_settings && c.kind == "settings") matches = c.source_count == c.destination_count;
    ok = ok && matches;
    std::cout << c.kind << "\t" << c.source_count << "\t" << c.destination_count << "\t" << c.source_sha256 << "\t"
              << c.destination_sha256 << "\t" << (matches ? "ok" : "MISMATCH");
    if (keep_settings && c.kind == "settings" && matches) {
      if (!c.first_difference.empty()) std::cout << " (the destination's values kept; first " << c.first_difference << ")";
    } else if (!c.first_difference.empty()) {
      std::cout << " (" << c.first_difference << ")";
    }
    if (c.destination_only > 0) std::cout << " (" << c.destination_only << " more in the destination only)";
    std::cout << "\n";
  }
  if (!ok) {
    std::cerr << "parley migrate: the stores differ (MISMATCH above)\n";
    return kMismatch;
  }
  std::cout << "verified: every kind has the same count and checksum on both sides\n";
  return 0;
}

void AddMigrateCommand(CLI::App& app) {
  auto flags = std::make_shared<MigrateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "migrate", "Copy everything a store holds into another (SQLite <-> PostgreSQL) and verify the copy");
  cmd->add_option("--from", flags->from, "The store to copy: sqlite:DIR or postgresql://USER@HOST:PORT/DB[?...]")
      ->required();
  cmd->add_option("--to", flags->to, "The store to fill: sqlite:DIR or postgresql://USER@HOST:PORT/DB[?...]")
      ->required();
  cmd->add_option("--batch", flags->batch, "Records per read and per transaction")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_flag("--allow-non-empty", flags->allow_non_empty,
                "Copy into a store that already holds data (a key it holds already stops the copy)");
  cmd->add_flag("--verify-only", flags->verify_only, "Copy nothing: compare the two stores");
  cmd->callback([flags] {
    if (int rc = Run(*flags); rc != 0) throw CLI::RuntimeError(rc);
  });
}

const bool kRegistered = RegisterCommand(&AddMigrateCommand);

}  // namespace
}  // namespace parley::cli
