#include "cli/command.h"

#include <vector>

namespace parley::cli {
namespace {

std::vector<CommandAdder>& Adders() {
  static std::vector<CommandAdder> adders;
  return adders;
}

}  // namespace

bool RegisterCommand(CommandAdder adder) {
  Adders().push_back(adder);
  return true;
}

void AddRegisteredCommands(CLI::App& app) {
  for (CommandAdder add : Adders()) add(app);
}

}  // namespace parley::cli
