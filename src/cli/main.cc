// `parley` — the command line. Every subcommand (`serve`, `analyze`, ...) is
// a src/cli/*_command.cc that registers itself (cli/command.h).
#include <CLI/CLI.hpp>

#include "absl/synchronization/mutex.h"
#include "cli/command.h"

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detection on: every lock then takes one process-wide lock to add the
  // edges of a lock-order graph, and records stack traces when an edge is
  // new. Tests keep it (their own main); the program does not pay for it
  // on every request.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"Parley: self-hosted conversation intelligence"};
  app.require_subcommand(1);
  parley::cli::AddRegisteredCommands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
