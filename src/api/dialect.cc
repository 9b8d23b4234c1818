#include "api/dialect.h"

namespace parley::api {

const Dialect* DialectFor(const std::vector<std::unique_ptr<Dialect>>& dialects,
                          std::string_view path) {
  for (const auto& d : dialects) {
    if (d->Owns(path)) return d.get();
  }
  return dialects.empty() ? nullptr : dialects.front().get();
}

}  // namespace parley::api
