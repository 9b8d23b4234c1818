// `parley` — the command line. Every subcommand (`serve`, `analyze`, ...) is
// a src/cli/*_command.cc that registers itself (cli/command.h).
#include <CLI/CLI.hpp>

#include "cli/command.h"

int main(int argc, char** argv) {
  CLI::App app{"Parley: self-hosted conversation intelligence"};
  app.require_subcommand(1);
  parley::cli::AddRegisteredCommands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
