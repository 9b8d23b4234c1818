// Subcommands of `parley` register themselves: a file src/cli/<name>_command.cc
// defines a function that adds its subcommand(s) to the app, and registers it
// with a static `const bool kRegistered = parley::cli::RegisterCommand(&AddX);`.
// main() adds every registered command. A command does its work in its CLI11
// callback (`sub->callback(...)`); to exit non-zero it throws
// `CLI::RuntimeError(code)` (main returns that code), otherwise main returns 0.
#pragma once

namespace CLI {
class App;
}

namespace parley::cli {

using CommandAdder = void (*)(CLI::App& app);

// Returns true, so it can initialise a static.
bool RegisterCommand(CommandAdder adder);

// Calls every registered adder.
void AddRegisteredCommands(CLI::App& app);

}  // namespace parley::cli
